/** Acting as a ServiceAccount of the test cluster, with a token from the TokenRequest API (as a Pod would). */
import * as k8s from '@kubernetes/client-node';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import * as YAML from 'yaml';
import { KubeClient } from '../../src/kube/client';
import { kubeconfigFromObject } from '../../src/kube/kubeconfig';
import { testKubeConfig } from './cluster';

/** A kubeconfig (as an object) authenticated as the ServiceAccount. */
async function kubeconfigAs(namespace: string, name: string): Promise<Record<string, unknown>> {
  const admin = await testKubeConfig();
  const tr = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
    users: [{ name, user: { token: tr.status!.token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: name } }],
    'current-context': 'c',
  };
}

/** A client authenticated as the ServiceAccount; closed when the test ends. */
export async function clientAs(t: TestContext, namespace: string, name: string): Promise<KubeClient> {
  const c = new KubeClient(kubeconfigFromObject(await kubeconfigAs(namespace, name)));
  t.after(() => c.close());
  return c;
}

/** A kubeconfig file authenticated as the ServiceAccount (for the CLI); removed when the test ends. */
export async function kubeconfigFileAs(t: TestContext, namespace: string, name: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sa-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, YAML.stringify(await kubeconfigAs(namespace, name)), { mode: 0o600 });
  return file;
}
