/** Runs the multi-source agent (the supervisor) in-process against the test cluster. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { createHash } from 'crypto';
import { KubeClient } from '../../src/kube/client';
import { AgentMetrics } from '../../src/agent/controller/metrics';
import { Notifier } from '../../src/agent/controller/notify';
import { Supervisor, SupervisorOptions } from '../../src/agent/controller/supervisor';
import { GITSOURCE_API_VERSION, GITSOURCE_KIND, GitSource, GitSourceSpec } from '../../src/model/gitsource';
import { GitSourceStore } from '../../src/agent/state/gitsource-store';
import { testKubeconfig } from './cluster';
import { capturedLog, hostAgent } from './agent-host';

/** A running in-process supervisor. */
export interface TestSupervisor {
  readonly supervisor: Supervisor;
  readonly metrics: AgentMetrics;
  readonly url: string;
  /** Lines the agent logged (parsed JSON). */
  readonly logs: Array<Record<string, unknown>>;
}

/** Starts a supervisor that runs the GitSources of `ns` (and `flagSource`); stopped when the test ends. */
export async function startSupervisor(
  t: TestContext,
  o: {
    readonly ns: string;
    readonly intervalMs?: number;
    readonly webhookSecret?: string;
    readonly flagSource?: SupervisorOptions['flagSource'];
    readonly client?: KubeClient;
  },
): Promise<TestSupervisor> {
  const client = o.client ?? KubeClient.fromKubeconfig(await testKubeconfig());
  const { log, logs } = capturedLog();
  const metrics = new AgentMetrics(false);
  const notifier = new Notifier(undefined, 'json', log, 50);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sup-'));
  const supervisor = new Supervisor({
    client,
    namespace: o.ns,
    metrics,
    log,
    notifier,
    flagSource: o.flagSource,
    sources: {
      load: { namespace: o.ns },
      apply: { defaultNamespace: o.ns, wait: { timeoutMs: 30_000, pollMs: 200 } },
      intervalMs: o.intervalMs ?? 3_600_000,
      retryBaseMs: 500,
      driftDebounceMs: 100,
      workdir: (s) =>
        path.join(
          root,
          createHash('sha256').update(`${s.url}#${s.branch}#${s.path}#${s.name}`).digest('hex').slice(0, 12),
        ),
      fallbackName: (url) => path.basename(url).replace(/\.git$/, ''),
    },
    resyncMs: 300,
    statusEveryMs: 200,
  });
  const url = await hostAgent(t, {
    agent: supervisor,
    hooks: { ready: () => supervisor.ready(), onWebhook: (body) => supervisor.onWebhook(body) },
    metrics,
    log,
    webhookSecret: o.webhookSecret,
    cleanup: () => {
      client.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  });
  return { supervisor, metrics, url, logs };
}

/** Creates (or replaces the spec of) a GitSource in `ns`, installing the CRD first. */
export async function putGitSource(client: KubeClient, ns: string, name: string, spec: GitSourceSpec): Promise<void> {
  await new GitSourceStore(client, ns).ensureCrd();
  await client.apply(
    `/apis/${GITSOURCE_API_VERSION}/namespaces/${ns}/gitsources/${name}`,
    { apiVersion: GITSOURCE_API_VERSION, kind: GITSOURCE_KIND, metadata: { name, namespace: ns }, spec },
    { fieldManager: 'synthops-test' },
  );
}

/** A GitSource as the cluster has it now. */
export async function getGitSource(client: KubeClient, ns: string, name: string): Promise<GitSource | undefined> {
  return client.getOrUndefined<GitSource>(`/apis/${GITSOURCE_API_VERSION}/namespaces/${ns}/gitsources/${name}`);
}

/** A GitSource's Ready condition now. */
export async function readyOf(
  client: KubeClient,
  ns: string,
  name: string,
): Promise<{ status: string; reason: string; message: string } | undefined> {
  return (await getGitSource(client, ns, name))?.status?.conditions?.find((c) => c.type === 'Ready');
}
