import * as path from 'path';
import { GitAuth, gitAt, isAncestor, parseTrailers, redactUrl } from '../git/client';
import { synth } from '../synth/synth';
import { formatIssue } from '../synth/validate';
import { checkoutBranch, commitAll, pushBranch, replaceTree, withTrailers } from './branch';
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

/**
 * Publishes synth output to the deploy branch: one commit whose tree is exactly
 * dist/, with `Source-Commit` and `Source-Repo` trailers. Nothing is committed when
 * the tree is unchanged; nothing is pushed when synth fails. Racing publishers are
 * handled by retrying on top of the new tip, never by force; a source commit older
 * than the one already published is not published over it.
 */
export async function publish(o: PublishOptions): Promise<PublishResult> {
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
      if (c.tip) {
        const published = parseTrailers(await c.git.raw(['log', '-1', '--format=%B']))['Source-Commit']?.[0];
        if (published && published !== sourceCommit && (await isAncestor(root, sourceCommit, published)) === true) {
          return { status: 'stale', commit: c.tip, sourceCommit, attempts: attempt, message: `source commit ${sourceCommit.slice(0, 12)} is an ancestor of ${published.slice(0, 12)}, already published at ${c.tip.slice(0, 12)}; not publishing over it` };
        }
      }
      replaceTree(c.dir, dist);
      const message = withTrailers(`publish ${sourceCommit.slice(0, 12)}`, [['Source-Commit', sourceCommit], ['Source-Repo', sourceRepo]]);
      if (!(await commitAll(c, message))) {
        return { status: 'unchanged', commit: c.tip, sourceCommit, attempts: attempt, message: `unchanged: ${o.branch} already holds this output` };
      }
      if ((await pushBranch(c, o.repo, o.branch)) === 'pushed') {
        const commit = (await c.git.revparse(['HEAD'])).trim();
        return { status: 'published', commit, sourceCommit, attempts: attempt, message: `published ${commit.slice(0, 12)} to ${o.branch} (source ${sourceCommit.slice(0, 12)})` };
      }
    } finally {
      c.dispose();
    }
    // Someone else pushed first: start again from the new tip after a short, jittered pause.
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
  }
  throw new PublishError(`push to ${redactUrl(o.repo)} (branch ${o.branch}) was rejected ${maxAttempts} times by concurrent publishes; nothing was forced`);
}
