/**
 * Access to the real control plane for cluster tests: one plane for the whole
 * run (SYNTHOPS_TEST_KUBECONFIG, set by test/run.ts or by the user to test
 * against another cluster), and one fresh namespace per test.
 */
import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'crypto';
import type { TestContext } from 'node:test';
import { up } from '../cluster/plane';

let kubeconfigPath: Promise<string> | undefined;

/** Path of the admin kubeconfig of the test cluster; starts the local plane if none is set. */
export function testKubeconfig(): Promise<string> {
  kubeconfigPath ??= process.env.SYNTHOPS_TEST_KUBECONFIG
    ? Promise.resolve(process.env.SYNTHOPS_TEST_KUBECONFIG)
    : up().then((s) => s.kubeconfig);
  return kubeconfigPath;
}

/** A loaded KubeConfig for the test cluster. */
export async function testKubeConfig(): Promise<k8s.KubeConfig> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(await testKubeconfig());
  return kc;
}

/** Creates a namespace for this test and deletes it when the test ends. */
export async function testNamespace(t: TestContext, prefix = 't'): Promise<string> {
  const kc = await testKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'synthops.dev/test': 'true' } } } });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  return name;
}

/** Polls `check` every 200 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes namespaces (if present) and waits until they are gone, for tests that use fixed namespaces. */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
  for (const name of names) await core.deleteNamespace({ name }).catch(() => undefined);
  await eventually(
    `namespaces ${names.join(', ')} deleted`,
    async () => {
      for (const name of names) {
        const gone = await core.readNamespace({ name }).then(
          () => false,
          () => true,
        );
        if (!gone) return undefined;
      }
      return true;
    },
    120_000,
  );
}
