import * as path from 'path';
import { GitAuth, gitAt, isAncestor, parseTrailers, redactUrl } from '../git/client';
import { UsageError } from '../model/errors';
import { TRAILERS } from '../model/keys';
import { synth } from '../synth/synth';
import { formatIssue } from '../synth/validate';
import { checkAfterRollback, rollbackAtTip } from './after-rollback';
import { checkoutBranch, commitAll, pushBranch, replaceTree, stageAll, withTrailers } from './branch';
import { verifiedDist } from './dist';
import { PublishError } from './errors';
import { SigningKey } from '../git/signing';

/** Options of {@link publish}. */
export interface PublishOptions {
  /** Config repo root. @default process.cwd() */
  readonly root?: string;
  /** Synth output folder. @default 'dist' */
  readonly out?: string;
  /** Deploy repo URL and branch. */
  readonly repo: string;
  readonly branch: string;
  /** Source commit recorded in the trailer. @default - HEAD of the config repo */
  readonly sourceCommit?: string;
  /** Source repo recorded in the trailer. @default - the config repo's `origin` */
  readonly sourceRepo?: string;
  /** Credentials for the deploy repo. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Sign the commit (SSH or OpenPGP, git's own signing). @default - none: unsigned */
  readonly signing?: SigningKey;
  /** Publish the existing dist/ (verified) instead of running synth. @default false */
  readonly skipSynth?: boolean;
  /** Use the synth cache (the output is the same either way). @default true */
  readonly cache?: boolean;
  /** Synth cache folder, relative to `root` unless absolute. @default 'node_modules/.cache/synthops/synth' */
  readonly cacheDir?: string;
  /** Pushes tried when others publish at the same time. @default 5 */
  readonly maxAttempts?: number;
  /**
   * Apps whose held prunes the agent may carry out: one `Allow-Prune:` trailer each
   * (`*` for all). With a new approval, a commit is made even when the tree is unchanged.
   * @default - none
   */
  readonly allowPrune?: readonly string[];
  /**
   * Publish over a rollback at the tip even when the source commit is not newer than
   * what the rollback replaced (which puts the rolled-back state back).
   * @default false: refused with a {@link RolledBackError}
   */
  readonly forceAfterRollback?: boolean;
}

/** What publish did. */
export interface PublishResult {
  readonly status: 'published' | 'unchanged' | 'stale';
  /** The new deploy commit (published) or the current tip. @default - none: the branch does not exist yet */
  readonly commit?: string;
  readonly sourceCommit: string;
  readonly message: string;
  readonly attempts: number;
}

async function gitOut(root: string, args: string[]): Promise<string | undefined> {
  try {
    return (await gitAt(root).raw(args)).trim() || undefined;
  } catch {
    return undefined;
  }
}

const APP_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The apps of `allowPrune`, checked and without repeats. */
function approvals(allowPrune: readonly string[] | undefined): string[] {
  const apps = [...new Set((allowPrune ?? []).map((a) => a.trim()).filter(Boolean))];
  const bad = apps.filter((a) => a !== '*' && !(APP_NAME.test(a) && a.length <= 63));
  if (bad.length > 0)
    throw new UsageError(`--allow-prune: ${bad.map((a) => `"${a}"`).join(', ')} is not an app name (a DNS label) or *`);
  return apps;
}

/**
 * Publishes synth output to the deploy branch: one commit whose tree is exactly
 * dist/, with `Source-Commit` and `Source-Repo` trailers (and an `Allow-Prune:` per
 * approved app). Nothing is committed when the tree is unchanged and there is no new
 * approval; nothing is pushed when synth fails. Racing publishers are handled by
 * retrying on top of the new tip, never by force; a source commit older than the one
 * already published is not published over it, nor one that is not newer than what a
 * rollback at the tip replaced (see {@link checkAfterRollback}).
 */
export async function publish(o: PublishOptions): Promise<PublishResult> {
  const allowPrune = approvals(o.allowPrune);
  const root = path.resolve(o.root ?? process.cwd());
  const dist = path.resolve(root, o.out ?? 'dist');
  if (!o.skipSynth) {
    const r = synth({ root, out: dist, cache: o.cache, cacheDir: o.cacheDir });
    if (!r.ok) throw new PublishError(`synth failed, nothing was published:\n${r.issues.map(formatIssue).join('\n')}`);
  }
  verifiedDist(dist);
  const sourceCommit = o.sourceCommit ?? (await gitOut(root, ['rev-parse', 'HEAD']));
  if (!sourceCommit) throw new PublishError(`${root} is not a git checkout with a commit; pass --source-commit`);
  const remote = o.sourceRepo ?? (await gitOut(root, ['remote', 'get-url', 'origin']));
  const sourceRepo = remote ? redactUrl(remote) : undefined;
  const maxAttempts = o.maxAttempts ?? 5;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const c = await checkoutBranch({ url: o.repo, branch: o.branch, auth: o.auth, signing: o.signing });
    try {
      const tipTrailers = c.tip ? parseTrailers(await c.git.raw(['log', '-1', '--format=%B'])) : {};
      if (c.tip) {
        const published = tipTrailers[TRAILERS.sourceCommit]?.[0];
        if (published && published !== sourceCommit && (await isAncestor(root, sourceCommit, published)) === true) {
          return {
            status: 'stale',
            commit: c.tip,
            sourceCommit,
            attempts: attempt,
            message: `source commit ${sourceCommit.slice(0, 12)} is an ancestor of ${published.slice(0, 12)}, already published at ${c.tip.slice(0, 12)}; not publishing over it`,
          };
        }
      }
      replaceTree(c.dir, dist);
      const changed = await stageAll(c);
      // An approval is news only if the tip does not carry it already.
      const approved = new Set(
        (tipTrailers[TRAILERS.allowPrune] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()),
      );
      const newApprovals = allowPrune.filter((a) => !approved.has(a));
      if (!changed && newApprovals.length === 0) {
        return {
          status: 'unchanged',
          commit: c.tip,
          sourceCommit,
          attempts: attempt,
          message: `unchanged: ${o.branch} already holds this output`,
        };
      }
      // Only a change of the tree can undo a rollback; an approval alone cannot.
      const rolledBack = changed && !o.forceAfterRollback ? await rollbackAtTip(c, o.branch, tipTrailers) : undefined;
      if (rolledBack) await checkAfterRollback(root, o.branch, sourceCommit, rolledBack);
      const subject = changed
        ? `publish ${sourceCommit.slice(0, 12)}`
        : `allow prune of ${allowPrune.join(', ')} at ${sourceCommit.slice(0, 12)}`;
      const message = withTrailers(subject, [
        [TRAILERS.sourceCommit, sourceCommit],
        [TRAILERS.sourceRepo, sourceRepo],
        ...allowPrune.map((a) => [TRAILERS.allowPrune, a] as const),
      ]);
      await commitAll(c, message, !changed);
      if ((await pushBranch(c, o.repo, o.branch)) === 'pushed') {
        const commit = (await c.git.revparse(['HEAD'])).trim();
        const allows = allowPrune.length > 0 ? `; allows the prune of ${allowPrune.join(', ')}` : '';
        return {
          status: 'published',
          commit,
          sourceCommit,
          attempts: attempt,
          message: `published ${commit.slice(0, 12)} to ${o.branch} (source ${sourceCommit.slice(0, 12)})${changed ? '' : ', output unchanged'}${allows}`,
        };
      }
    } finally {
      c.dispose();
    }
    // Someone else pushed first: start again from the new tip after a short, jittered pause.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
  }
  throw new PublishError(
    `push to ${redactUrl(o.repo)} (branch ${o.branch}) was rejected ${maxAttempts} times by concurrent publishes; nothing was forced`,
  );
}
