import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { KubeClient } from '../kube/client';
import { LoadError, SourceError } from '../agent/source/errors';
import { agentOnce } from '../agent/reconcile/once';
import { formatResult } from '../agent/reconcile/report';
import { redactUrl } from '../agent/source/fetch';
import { duration, gitAuth } from './flags';
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

/** Where the checkout lives between runs when --workdir is not given. */
export function defaultWorkdir(repo: string, branch: string): string {
  const key = createHash('sha256').update(`${repo}#${branch}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'synthops-agent', key);
}

/** The app name of plain YAML at a repo root: the repo's name. */
export function repoName(url: string): string {
  return path.basename(url.replace(/\/+$/, '')).replace(/\.git$/, '') || 'default';
}

/** `synthops agent`: the long-running pull agent; with `--once`, one reconcile and exit 0 only when converged. */
export async function runAgent(opts: AgentCommandOptions, io: Output): Promise<number> {
  const timeoutMs = duration('--timeout', opts.timeout);
  // The long-running agent's modules (metrics, logging, HTTP server) load only when it runs.
  if (!opts.once) return (await import('./agent-controller')).runController(opts, timeoutMs, io);
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
    io.out(`API requests: ${Object.entries(client.counts).sort().map(([verb, n]) => `${verb} ${n}`).join(', ') || 'none'}`);
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
