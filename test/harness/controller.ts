/** Runs the long-running agent in-process against the test cluster, with its HTTP server. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { Controller } from '../../src/agent/controller/controller';
import { KubeClient } from '../../src/kube/client';
import { Logger } from '../../src/agent/controller/log';
import { AgentMetrics } from '../../src/agent/controller/metrics';
import { Notifier } from '../../src/agent/controller/notify';
import { SignerTrust } from '../../src/git/signing';
import { ReadOptions } from '../../src/agent/reconcile/step';
import { DecryptionOptions } from '../../src/agent/reconcile/decryption';
import { testKubeconfig } from './cluster';
import { capturedLog, hostAgent } from './agent-host';

/** Options of {@link startController}. */
export interface TestControllerOptions {
  readonly repo: string;
  readonly branch: string;
  readonly ns: string;
  readonly env?: string;
  readonly intervalMs?: number;
  readonly webhookSecret?: string;
  readonly notifyUrl?: string;
  readonly suspend?: string[];
  readonly retryBaseMs?: number;
  /** Apply only tips signed by a trusted key. @default - no check */
  readonly verify?: SignerTrust;
  /** How revisions are read (path, app, layout, render settings). @default - `env` only */
  readonly load?: Omit<ReadOptions, 'cache'>;
  /** Where the age identities for SOPS documents are. @default - none */
  readonly decryption?: DecryptionOptions;
  /** Who the agent is (e.g. its own ServiceAccount). @default - the test cluster's admin */
  readonly client?: KubeClient;
  /** `--source`. @default - derived from repo, branch and path */
  readonly source?: string;
  /** Plain YAML: the app's name. @default - the folder name */
  readonly app?: string;
  /** How long health is followed at the full rate. @default 30000 */
  readonly waitTimeoutMs?: number;
  /** How often what a health wait waits for is logged again. @default 30000 */
  readonly healthLogEveryMs?: number;
  /** Builds the notifier from the agent's logger (other formats, a forge). @default - JSON to `notifyUrl` */
  readonly notifier?: (log: Logger) => Notifier;
}

/** A running in-process agent. */
export interface TestController {
  readonly controller: Controller;
  readonly metrics: AgentMetrics;
  readonly url: string;
  readonly notifier: Notifier;
  /** Lines the agent logged (parsed JSON). */
  readonly logs: Array<Record<string, unknown>>;
  /** The agent's logger (its lines land in `logs`). */
  readonly log: Logger;
}

/** Starts an agent; it is stopped when the test ends. */
export async function startController(t: TestContext, o: TestControllerOptions): Promise<TestController> {
  const client = o.client ?? KubeClient.fromKubeconfig(await testKubeconfig());
  const { log, logs } = capturedLog();
  const metrics = new AgentMetrics(false);
  const notifier = o.notifier?.(log) ?? new Notifier(o.notifyUrl, 'json', log, 50);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ctl-'));
  const controller = new Controller({
    client,
    source: { url: o.repo, branch: o.branch, workdir, verify: o.verify },
    sourceName: o.source,
    load: { env: o.env, app: o.app, ...o.load },
    apply: {
      defaultNamespace: o.ns,
      wait: { timeoutMs: o.waitTimeoutMs ?? 30_000, pollMs: 200 },
      decryption: o.decryption,
    },
    namespace: o.ns,
    intervalMs: o.intervalMs ?? 3_600_000,
    suspend: new Set(o.suspend ?? []),
    retryBaseMs: o.retryBaseMs ?? 500,
    driftDebounceMs: 100,
    healthLogEveryMs: o.healthLogEveryMs,
    metrics,
    log,
    notifier,
  });
  const url = await hostAgent(t, {
    agent: controller,
    hooks: { ready: () => controller.ready(), onWebhook: () => controller.request('webhook', true) },
    metrics,
    log,
    webhookSecret: o.webhookSecret,
    cleanup: () => {
      client.close();
      fs.rmSync(workdir, { recursive: true, force: true });
    },
  });
  return { controller, metrics, url, notifier, logs, log };
}

/** Value of one metric series (undefined if absent). */
export async function metricValue(
  metrics: AgentMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
  return v?.value;
}
