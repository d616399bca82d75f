import * as os from 'os';
import { LeaderElector } from '../agent/controller/leader';
import { createLogger } from '../agent/controller/log';
import { AgentMetrics } from '../agent/controller/metrics';
import { Notifier } from '../agent/controller/notify';
import { AgentServer } from '../agent/controller/server';
import { Supervisor } from '../agent/controller/supervisor';
import { redactUrl } from '../agent/source/fetch';
import { UsageError } from '../model/errors';
import { AgentCommandOptions, decryptionOf, defaultWorkdir, repoName } from './agent-options';
import { duration, gitAuth, signerTrust, webhookSecret } from './flags';
import { renderOptions } from './render-flags';
import { clusterClient, objectNamespace } from './kube-flags';
import { notifySettings } from './notify-flags';

function listenAddress(value: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(value);
  if (!m) throw new UsageError(`--listen: "${value}" is not [host:]port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/** The long-running agent: runs until SIGTERM/SIGINT, then shuts down cleanly and exits 0. */
export async function runController(opts: AgentCommandOptions, timeoutMs: number): Promise<number> {
  const intervalMs = duration('--interval', opts.interval);
  const leaseMs = duration('--lease-duration', opts.leaseDuration);
  const notify = notifySettings(opts, opts.repo);
  const listen = listenAddress(opts.listen);
  // The Deployment mounts the file only when its Secret has the key: absent, every webhook is refused.
  const secret = webhookSecret(opts.webhookSecretFile, { optional: true });
  const log = createLogger(opts.logLevel);
  const client = clusterClient(opts);
  const metrics = new AgentMetrics();
  const notifier = new Notifier(opts.notifyUrl, notify.format, log, undefined, notify.options);
  let supervisor: Supervisor | undefined;
  const identity = opts.identity ?? `${os.hostname()}-${process.pid}`;
  const leader = opts.leaderElect
    ? new LeaderElector(
        client,
        opts.agentNamespace,
        'synthops-agent',
        identity,
        {
          durationSeconds: leaseMs / 1000,
          renewSeconds: Math.max(1, leaseMs / 3000),
          retrySeconds: Math.max(1, leaseMs / 7500),
        },
        log,
        (leading) => supervisor?.onLeadership(leading),
      )
    : undefined;
  const render = renderOptions(opts);
  const apply = {
    allowPrune: opts.allowPrune,
    pruneCrds: opts.pruneCrds,
    defaultNamespace: objectNamespace(opts.namespace, client),
    wait: { timeoutMs },
    waitForHealth: opts.wait !== false,
    decryption: decryptionOf(opts),
    ownApp: opts.ownApp,
    allowedServiceAccounts: opts.allowedServiceAccounts,
  };
  const suspend = new Set(opts.suspend ?? []);
  const { repo, branch } = opts;
  supervisor = new Supervisor({
    client,
    namespace: opts.agentNamespace,
    metrics,
    log,
    notifier,
    leader,
    flagSource:
      repo && branch
        ? {
            source: {
              url: repo,
              branch,
              workdir: opts.workdir ?? defaultWorkdir(repo, branch, opts.path, opts.source),
              auth: gitAuth(opts),
              verify: signerTrust(opts),
            },
            sourceName: opts.source,
            dependsOn: opts.dependsOn,
            load: {
              path: opts.path,
              env: opts.env,
              app: opts.app,
              serviceAccount: opts.serviceAccount,
              fallbackName: repoName(repo),
              namespace: objectNamespace(opts.namespace, client),
              ...render,
            },
            apply,
            intervalMs,
            suspend,
          }
        : undefined,
    // GitSources share the agent's settings; their spec sets the source, layout, namespace and interval.
    sources:
      opts.gitSources === false
        ? undefined
        : {
            load: { namespace: objectNamespace(opts.namespace, client), ...render },
            apply,
            intervalMs,
            suspend,
            workdir: (s) => defaultWorkdir(s.url, s.branch, s.path, s.name),
            fallbackName: repoName,
          },
  });
  const server = new AgentServer(
    metrics,
    { ready: () => supervisor!.ready(), onWebhook: (body) => supervisor!.onWebhook(body) },
    secret,
    log,
  );
  const port = await server.listen(listen.port, listen.host);
  // stdout carries JSON lines only: the address goes through the logger too.
  log.info({ host: listen.host, port }, `listening on ${listen.host}:${port}`);
  log.info(
    {
      port,
      repo: repo ? redactUrl(repo) : undefined,
      branch,
      gitSources: opts.gitSources !== false,
      interval: opts.interval,
      identity,
      leaderElection: Boolean(leader),
    },
    'agent started',
  );
  await supervisor.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  // Within Kubernetes' default 30 s grace: the cycle gets 20 s to reach its next step.
  await supervisor.stop(20_000);
  await server.close();
  client.shutdown();
  log.info('stopped');
  // Everything is stopped and no request can be sent; should a child process (a git
  // fetch on a slow network) still hold the event loop, do not wait for it.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
