import * as path from 'path';
import { colorEnabled } from './progress';
import { diffAgainstBranch, diffAgainstCluster, formatDiff } from '../publish/diff';
import { publish } from '../publish/publish';
import { rollback } from '../publish/rollback';
import { setImage } from '../publish/set-image';
import { synth } from '../synth/synth';
import { formatIssue } from '../synth/validate';
import { UsageError } from '../model/errors';
import { SignFlags, gitAuth, signingKey } from './flags';
import { Output } from './output';
import { clusterClient } from './kube-flags';

/** Git credential flags shared by the Git-side commands. */
export interface GitFlags {
  /** `--git-token-file`: file with a token for https remotes. @default - SYNTHOPS_GIT_TOKEN, if set */
  readonly gitTokenFile?: string;
  /** `--ssh-key`: private key for ssh remotes. @default - ssh's default identities */
  readonly sshKey?: string;
  /** `--known-hosts`: known_hosts file for ssh remotes. @default - ssh's default known_hosts files */
  readonly knownHosts?: string;
}

/** Synth cache flags shared by publish and diff (`cache` is false with `--no-cache`). */
export interface CacheFlags {
  /** Use the synth cache. @default true */
  readonly cache?: boolean;
  /** `--cache-dir`: synth cache folder, relative to the root unless absolute. @default 'node_modules/.cache/synthops/synth' */
  readonly cacheDir?: string;
}

/** `synthops publish`. */
export async function runPublish(
  opts: GitFlags &
    SignFlags &
    CacheFlags & {
      repo: string;
      branch: string;
      sourceCommit?: string;
      sourceRepo?: string;
      root: string;
      out: string;
      skipSynth?: boolean;
      allowPrune?: string[];
      forceAfterRollback?: boolean;
    },
  io: Output,
): Promise<number> {
  const r = await publish({ ...opts, cache: opts.cache !== false, auth: gitAuth(opts), signing: signingKey(opts) });
  io.out(r.status === 'unchanged' ? 'unchanged' : r.message);
  return 0;
}

/** `synthops diff`: exit 0 when equal, 1 when different. */
export async function runDiff(
  opts: GitFlags &
    CacheFlags & {
      repo?: string;
      branch?: string;
      cluster?: boolean;
      env?: string;
      root: string;
      out: string;
      skipSynth?: boolean;
      kubeconfig?: string;
      context?: string;
      agentNamespace: string;
      /** False with `--no-color`. @default true */
      color?: boolean;
    },
  io: Output,
): Promise<number> {
  const dist = path.resolve(opts.root, opts.out);
  if (!opts.skipSynth) {
    const r = synth({
      root: opts.root,
      out: opts.out,
      envs: opts.env ? [opts.env] : undefined,
      cache: opts.cache !== false,
      cacheDir: opts.cacheDir,
    });
    if (!r.ok) {
      for (const i of r.issues) io.err(formatIssue(i));
      return 1;
    }
  }
  let diffs: Awaited<ReturnType<typeof diffAgainstCluster>>;
  if (opts.cluster) {
    const client = clusterClient(opts);
    try {
      diffs = await diffAgainstCluster(dist, opts.env, client, opts.agentNamespace);
    } finally {
      client.close();
    }
  } else {
    if (!opts.repo || !opts.branch)
      throw new UsageError('diff needs --repo and --branch (the deploy branch), or --cluster');
    diffs = await diffAgainstBranch(dist, opts.repo, opts.branch, gitAuth(opts));
  }
  const color = colorEnabled({ flag: opts.color, env: process.env, isTTY: Boolean(process.stdout.isTTY) });
  for (const l of formatDiff(diffs, color)) io.out(l);
  return diffs.length === 0 ? 0 : 1;
}

/** `synthops rollback REV`. */
export async function runRollback(
  revision: string,
  opts: GitFlags & SignFlags & { repo: string; branch: string },
  io: Output,
): Promise<number> {
  const r = await rollback({
    revision,
    repo: opts.repo,
    branch: opts.branch,
    auth: gitAuth(opts),
    signing: signingKey(opts),
  });
  io.out(r.message);
  return 0;
}

/** `synthops set-image`. */
export async function runSetImage(
  opts: GitFlags & SignFlags & { env: string; app: string; image: string; repo?: string; branch: string; root: string },
  io: Output,
): Promise<number> {
  const r = await setImage({ ...opts, auth: gitAuth(opts), signing: signingKey(opts) });
  io.out(r.message);
  return 0;
}
