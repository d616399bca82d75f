import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDuration } from '../agent/duration';
import { KubeClient } from '../agent/kube';
import { LoadError, SourceError } from '../agent/errors';
import { agentOnce } from '../agent/once';
import { formatResult } from '../agent/report';
import { GitAuth, redactUrl } from '../agent/source';
import { UsageError } from '../errors';
import { Output } from './output';

/** Flags of `synthops agent`. */
export interface AgentCommandOptions {
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  readonly env?: string;
  readonly app?: string;
  readonly once?: boolean;
  readonly dryRun?: boolean;
  readonly kubeconfig?: string;
  readonly timeout: string;
  readonly allowPrune?: string[];
  readonly pruneCrds?: boolean;
  readonly namespace: string;
  readonly inventoryNamespace: string;
  readonly workdir?: string;
  readonly gitTokenFile?: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
}

/** Git credentials from flags and the environment (SYNTHOPS_GIT_TOKEN). */
export function gitAuth(opts: Pick<AgentCommandOptions, 'gitTokenFile' | 'sshKey' | 'knownHosts'>): GitAuth {
  let token = process.env.SYNTHOPS_GIT_TOKEN;
  if (opts.gitTokenFile) {
    try {
      token = fs.readFileSync(opts.gitTokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`--git-token-file ${opts.gitTokenFile}: ${(e as Error).message}`);
    }
  }
  return { token: token || undefined, sshKeyFile: opts.sshKey, knownHostsFile: opts.knownHosts };
}

function defaultWorkdir(repo: string, branch: string): string {
  const key = createHash('sha256').update(`${repo}#${branch}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'synthops-agent', key);
}

function repoName(url: string): string {
  return path.basename(url.replace(/\/+$/, '')).replace(/\.git$/, '') || 'default';
}

/** `synthops agent --once`: fetch, load, reconcile one revision; exit 0 only when converged. */
export async function runAgent(opts: AgentCommandOptions, io: Output): Promise<number> {
  if (!opts.once) {
    throw new UsageError('the long-running agent is not available yet; run one reconcile with --once');
  }
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(opts.timeout);
  } catch (e) {
    throw new UsageError(`--timeout: ${(e as Error).message}`);
  }
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
      fallbackName: repoName(opts.repo),
      client,
      dryRun: opts.dryRun,
      allowPrune: opts.allowPrune,
      pruneCrds: opts.pruneCrds,
      defaultNamespace: opts.namespace,
      inventoryNamespace: opts.inventoryNamespace,
      wait: { timeoutMs },
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
