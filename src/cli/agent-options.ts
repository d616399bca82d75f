import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';

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
