import { VerifyFlags } from './flags';
import { createHash } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { RenderCommandOptions } from './render-flags';
import { ProgressFlags } from './progress';
import { NotifyFlags } from './notify-flags';

/** Flags of `synthops agent` (the render flags are in render-flags.ts). */
export interface AgentCommandOptions extends VerifyFlags, RenderCommandOptions, NotifyFlags, ProgressFlags {
  /** `--repo`: the command line's source. @default - none: only the GitSources of the agent's namespace (not with --once) */
  readonly repo?: string;
  /** `--branch`: its deploy branch (required with --repo). @default - none */
  readonly branch?: string;
  readonly path: string;
  /** false with `--no-git-sources`: do not run the GitSources of the agent's namespace. @default true */
  readonly gitSources?: boolean;
  /** `--depends-on`: sources whose apps must all be Ready before the command line's source reconciles. @default - none */
  readonly dependsOn?: string[];
  /** `--env`: environment to apply from synthops output. @default - the output's only environment */
  readonly env?: string;
  /** `--app`: app name for plain YAML. @default - the folder name; the repo's name at its root */
  readonly app?: string;
  /** `--service-account`: ServiceAccount (`namespace/name`) to apply plain YAML as. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
  /** `--once`: reconcile one revision and exit. @default false */
  readonly once?: boolean;
  /** `--dry-run`: validate and print the plan, write nothing. @default false */
  readonly dryRun?: boolean;
  /** `--kubeconfig`: kubeconfig file. @default - KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  /** `--context`: kubeconfig context. @default - the kubeconfig's current-context */
  readonly context?: string;
  readonly timeout: string;
  /** false with --no-wait. @default true */
  readonly wait?: boolean;
  /** `--allow-prune`: apps allowed past the prune guards (`*` for all). @default - none */
  readonly allowPrune?: string[];
  /** `--prune-crds`: also prune CustomResourceDefinitions that left Git. @default false */
  readonly pruneCrds?: boolean;
  /** `-n, --namespace`: namespace of namespaced objects that name none. @default - the context's namespace (in a Pod: its own), else 'default' */
  readonly namespace?: string;
  readonly agentNamespace: string;
  /** `--own-app`: the app that installs this agent; the agent's namespace is reserved for it. @default - none: not reserved */
  readonly ownApp?: string;
  /** `--allowed-service-accounts`: ServiceAccounts apps may be applied as. @default - any outside kube-system and the agent's namespace */
  readonly allowedServiceAccounts?: string[];
  /** `--source`: the name of this source (repo, branch and folder) in the cluster. @default - derived from the repo URL, branch and path */
  readonly source?: string;
  /** `--workdir`: where the checkout is kept between runs. @default - a folder per source (repo, branch, path, --source) under the OS temp folder */
  readonly workdir?: string;
  /** `--git-token-file`: file with a token for https remotes. @default - SYNTHOPS_GIT_TOKEN, if set */
  readonly gitTokenFile?: string;
  /** `--ssh-key`: private key for ssh remotes. @default - ssh's default identities */
  readonly sshKey?: string;
  /** `--known-hosts`: known_hosts file for ssh remotes. @default - ssh's default known_hosts files */
  readonly knownHosts?: string;
  readonly interval: string;
  readonly listen: string;
  /** `--webhook-secret-file`: HMAC secret of POST /webhook. @default - SYNTHOPS_WEBHOOK_SECRET; without either every webhook is refused */
  readonly webhookSecretFile?: string;
  /** `--notify-url`: where alerts are POSTed. @default - none: no alerts are sent */
  readonly notifyUrl?: string;
  readonly notifyFormat: string;
  /** `--suspend`: apps whose writes are suspended. @default - none */
  readonly suspend?: string[];
  /** `--leader-elect`: only the holder of the Lease reconciles. @default false */
  readonly leaderElect?: boolean;
  readonly leaseDuration: string;
  /** `--identity`: leader election identity. @default - `<hostname>-<pid>` */
  readonly identity?: string;
  readonly logLevel: string;
  /** `--decryption-secret`: Secret in the agent's namespace whose `*.agekey` entries decrypt SOPS documents. @default - none: SOPS documents fail their app */
  readonly decryptionSecret?: string;
}

/** The decryption settings of the flags. */
export function decryptionOf(
  opts: Pick<AgentCommandOptions, 'decryptionSecret' | 'agentNamespace'>,
): { secretName: string; namespace: string } | undefined {
  return opts.decryptionSecret ? { secretName: opts.decryptionSecret, namespace: opts.agentNamespace } : undefined;
}

/**
 * Where the checkout lives between runs when --workdir is not given: one per source
 * (two agents reading two folders of one branch never share a checkout).
 */
export function defaultWorkdir(repo: string, branch: string, folder = '.', source = ''): string {
  const key = createHash('sha256').update(`${repo}#${branch}#${folder}#${source}`).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'synthops-agent', key);
}

/** The app name of plain YAML at a repo root: the repo's name. */
export function repoName(url: string): string {
  return path.basename(url.replace(/\/+$/, '')).replace(/\.git$/, '') || 'default';
}
