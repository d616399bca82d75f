import { KubeClient } from '../kube/client';
import { loadKubeconfig } from '../kube/kubeconfig';
import { gitAuth } from './flags';
import { Output } from './output';
import { UsageError } from '../model/errors';
import { DeployRepo } from '../ui/deploy-repo';
import { UiServer } from '../ui/server';

/** Flags of `synthops ui`. */
export interface UiCommandOptions {
  /** Port on 127.0.0.1 (0: any free port). */
  readonly port: string;
  /** @default KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  /** @default the kubeconfig's current-context */
  readonly context?: string;
  readonly agentNamespace: string;
  /** Deploy repo, to compare objects with Git and show the branch history. @default undefined: no Git */
  readonly repo?: string;
  /** Deploy branch (with `repo`). @default undefined */
  readonly branch?: string;
  readonly path: string;
  /** @default SYNTHOPS_GIT_TOKEN */
  readonly gitTokenFile?: string;
  /** @default undefined: ssh's own */
  readonly sshKey?: string;
  /** @default undefined: ssh's own */
  readonly knownHosts?: string;
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--port: "${value}" is not a port number`);
  return Number(value);
}

/** Starts the UI server and the parts it needs; the caller closes the result. */
export async function startUi(
  opts: UiCommandOptions,
): Promise<{ server: UiServer; client: KubeClient; close: () => Promise<void> }> {
  if (Boolean(opts.repo) !== Boolean(opts.branch)) throw new UsageError('--repo and --branch go together');
  const listenPort = port(opts.port);
  const access = loadKubeconfig(opts.kubeconfig, { context: opts.context });
  const client = new KubeClient(access);
  const repo =
    opts.repo && opts.branch
      ? new DeployRepo({ url: opts.repo, branch: opts.branch, path: opts.path, auth: gitAuth(opts) })
      : undefined;
  const contextLabel = opts.context
    ? `context ${opts.context}`
    : access.source.replace(/^kubeconfig .*\(context "(.*)"\)$/, 'context $1');
  const server = new UiServer({ client, namespace: opts.agentNamespace, contextLabel, repo });
  try {
    await server.listen(listenPort);
  } catch (e) {
    client.close();
    repo?.dispose();
    throw new UsageError(`cannot listen on 127.0.0.1:${opts.port}: ${(e as Error).message}`);
  }
  return {
    server,
    client,
    close: async () => {
      await server.close();
      client.close();
      repo?.dispose();
    },
  };
}

/** `synthops ui`: serves the read-only dashboard on 127.0.0.1 until SIGINT or SIGTERM. Opens nothing by itself. */
export async function runUi(opts: UiCommandOptions, io: Output): Promise<number> {
  const ui = await startUi(opts);
  io.out(`synthops ui: ${ui.server.url}`);
  io.out(`reading namespace ${opts.agentNamespace} with your kubeconfig; read-only; Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await ui.close();
  return 0;
}
