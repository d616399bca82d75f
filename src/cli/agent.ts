import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { Controller } from '../agent/controller';
import { LeaderElector } from '../agent/leader';
import { createLogger } from '../agent/log';
import { AgentMetrics } from '../agent/metrics';
import { Notifier } from '../agent/notify';
import { AgentServer } from '../agent/server';
import { KubeClient } from '../agent/kube';
import { LoadError, SourceError } from '../agent/errors';
import { agentOnce } from '../agent/once';
import { formatResult } from '../agent/report';
import { redactUrl } from '../agent/source';
import { UsageError } from '../errors';
import { duration, gitAuth, webhookSecret } from './flags';
import { Output } from './output';


/** Flags of `synthops agent`. */
export interface AgentCommandOptions {
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  readonly env?: string;
  readonly app?: string;
  readonly serviceAccount?: string;
  readonly once?: boolean;
  readonly dryRun?: boolean;
  readonly kubeconfig?: string;
  readonly timeout: string;
  /** false with --no-wait. */
  readonly wait?: boolean;
  readonly allowPrune?: string[];
  readonly pruneCrds?: boolean;
  readonly namespace: string;
  readonly agentNamespace: string;
  readonly workdir?: string;
  readonly gitTokenFile?: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
  readonly interval: string;
  readonly listen: string;
  readonly webhookSecretFile?: string;
  readonly notifyUrl?: string;
  readonly notifyFormat: string;
  readonly suspend?: string[];
  readonly leaderElect?: boolean;
  readonly leaseDuration: string;
  readonly identity?: string;
  readonly logLevel: string;
}

function defaultWorkdir(repo: string, branch: string): string {
  const key = createHash('sha256').update(`${repo}#${branch}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'synthops-agent', key);
}

function repoName(url: string): string {
  return path.basename(url.replace(/\/+$/, '')).replace(/\.git$/, '') || 'default';
}

function listenAddress(value: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(value);
  if (!m) throw new UsageError(`--listen: "${value}" is not [host:]port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/** `synthops agent`: the long-running pull agent; with `--once`, one reconcile and exit 0 only when converged. */
export async function runAgent(opts: AgentCommandOptions, io: Output): Promise<number> {
  const timeoutMs = duration('--timeout', opts.timeout);
  if (!opts.once) return runController(opts, timeoutMs, io);
  const client = KubeClient.fromKubeconfig(opts.kubeconfig);
  try {
    const { revision, result } = await agentOnce({
      repo: opts.repo,
      branch: opts.branch,
      workdir: opts.workdir ?? defaultWorkdir(opts.repo, opts.branch),
      auth: gitAuth(opts),
      path: opts.path,
      env: opts.env,
      app: opts.app,
      serviceAccount: opts.serviceAccount,
      fallbackName: repoName(opts.repo),
      client,
      dryRun: opts.dryRun,
      allowPrune: opts.allowPrune,
      pruneCrds: opts.pruneCrds,
      defaultNamespace: opts.namespace,
      inventoryNamespace: opts.agentNamespace,
      wait: { timeoutMs },
      waitForHealth: opts.wait !== false,
    });
    io.out(`fetched ${redactUrl(opts.repo)} ${opts.branch} at ${revision.sha.slice(0, 12)}`);
    for (const line of formatResult(result, opts.dryRun ?? false)) io.out(line);
    return result.converged ? 0 : 1;
  } catch (e) {
    if (e instanceof SourceError || e instanceof LoadError) {
      io.err(`error: ${e.message}`);
      io.err('nothing was changed: the cluster stays at its last applied revision');
      return 1;
    }
    throw e;
  } finally {
    client.close();
  }
}

/** The long-running agent: runs until SIGTERM/SIGINT, then shuts down cleanly and exits 0. */
async function runController(opts: AgentCommandOptions, timeoutMs: number, io: Output): Promise<number> {
  const intervalMs = duration('--interval', opts.interval);
  const leaseMs = duration('--lease-duration', opts.leaseDuration);
  if (opts.notifyFormat !== 'json' && opts.notifyFormat !== 'slack') throw new UsageError(`--notify-format: "${opts.notifyFormat}" is not json or slack`);
  const listen = listenAddress(opts.listen);
  const secret = webhookSecret(opts.webhookSecretFile);
  const log = createLogger(opts.logLevel);
  const client = KubeClient.fromKubeconfig(opts.kubeconfig);
  const metrics = new AgentMetrics();
  const notifier = new Notifier(opts.notifyUrl, opts.notifyFormat, log);
  let controller: Controller | undefined;
  const identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
  const leader = opts.leaderElect
    ? new LeaderElector(client, opts.agentNamespace, 'synthops-agent', identity, { durationSeconds: leaseMs / 1000, renewSeconds: Math.max(1, leaseMs / 3000), retrySeconds: Math.max(1, leaseMs / 7500) }, log, (leading) => controller?.onLeadership(leading))
    : undefined;
  controller = new Controller({
    client,
    source: { url: opts.repo, branch: opts.branch, workdir: opts.workdir ?? defaultWorkdir(opts.repo, opts.branch), auth: gitAuth(opts) },
    load: { path: opts.path, env: opts.env, app: opts.app, serviceAccount: opts.serviceAccount, fallbackName: repoName(opts.repo) },
    apply: { allowPrune: opts.allowPrune, pruneCrds: opts.pruneCrds, defaultNamespace: opts.namespace, wait: { timeoutMs }, waitForHealth: opts.wait !== false },
    namespace: opts.agentNamespace,
    intervalMs,
    suspend: new Set(opts.suspend ?? []),
    metrics, log, notifier, leader,
  });
  const server = new AgentServer(metrics, { ready: () => controller!.ready(), onWebhook: () => controller!.request('webhook', true) }, secret, log);
  const port = await server.listen(listen.port, listen.host);
  log.info({ port, repo: redactUrl(opts.repo), branch: opts.branch, interval: opts.interval, identity, leaderElection: Boolean(leader) }, 'agent started');
  io.out(`synthops agent listening on ${listen.host}:${port}`);
  await controller.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controller.stop();
  await server.close();
  client.close();
  log.info('stopped');
  return 0;
}
