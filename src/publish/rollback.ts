import { GitAuth, parseTrailers, redactUrl } from '../git/client';
import { TRAILERS } from '../model/keys';
import { rollbackAtTip } from './after-rollback';
import { checkoutBranch, commitAll, pushBranch, withTrailers } from './branch';
import { PublishError } from './errors';
import { SigningKey } from '../git/signing';

/** Options of {@link rollback}. */
export interface RollbackOptions {
  /** The deploy commit whose tree to restore (a sha or a prefix of one). */
  readonly revision: string;
  readonly repo: string;
  readonly branch: string;
  /** Credentials for the deploy repo. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Sign the commit (SSH or OpenPGP, git's own signing). @default - none: unsigned */
  readonly signing?: SigningKey;
  /** @default 5 */
  readonly maxAttempts?: number;
}

/** What rollback did. */
export interface RollbackResult {
  readonly status: 'rolled-back' | 'unchanged';
  readonly commit: string;
  readonly message: string;
}

/**
 * Restores the deploy branch to an earlier revision with a new commit whose tree
 * equals that revision's. History is never rewritten: the new commit goes on top,
 * with `Rollback-Of:` (the tip it replaces) and `Rollback-To:` trailers, keeps the
 * restored revision's `Source-Commit`/`Source-Repo`, and records in
 * `Rollback-Of-Source:` the source commit it rolls back from (for a rollback of a
 * rollback, the one the first rolled back from), which publish then refuses to bring
 * back. The agent applies it like any other revision.
 */
export async function rollback(o: RollbackOptions): Promise<RollbackResult> {
  for (let attempt = 1; attempt <= (o.maxAttempts ?? 5); attempt++) {
    const c = await checkoutBranch({
      url: o.repo,
      branch: o.branch,
      auth: o.auth,
      fullHistory: true,
      signing: o.signing,
    });
    try {
      if (!c.tip)
        throw new PublishError(`branch ${o.branch} of ${redactUrl(o.repo)} does not exist; nothing to roll back`);
      let target: string;
      try {
        target = (await c.git.raw(['rev-parse', '--verify', '--quiet', `${o.revision}^{commit}`])).trim();
      } catch {
        target = '';
      }
      if (!target) throw new PublishError(`revision ${o.revision} is not a commit of branch ${o.branch}`);
      const onBranch = await c.git.raw(['merge-base', '--is-ancestor', target, c.tip]).then(
        () => true,
        () => false,
      );
      if (!onBranch) throw new PublishError(`revision ${o.revision} is not in the history of branch ${o.branch}`);
      if (target === c.tip)
        return {
          status: 'unchanged',
          commit: c.tip,
          message: `unchanged: ${o.branch} is already at ${target.slice(0, 12)}`,
        };
      await c.git.raw(['read-tree', '-u', '--reset', target]);
      const restored = parseTrailers(await c.git.raw(['log', '-1', '--format=%B', target]));
      const tipTrailers = parseTrailers(await c.git.raw(['log', '-1', '--format=%B', c.tip]));
      const from =
        (await rollbackAtTip(c, o.branch, tipTrailers))?.rolledBackSource ?? tipTrailers[TRAILERS.sourceCommit]?.[0];
      const message = withTrailers(`rollback to ${target.slice(0, 12)}`, [
        [TRAILERS.rollbackOf, c.tip],
        [TRAILERS.rollbackTo, target],
        [TRAILERS.sourceCommit, restored[TRAILERS.sourceCommit]?.[0]],
        [TRAILERS.sourceRepo, restored[TRAILERS.sourceRepo]?.[0]],
        [TRAILERS.rollbackOfSource, from],
      ]);
      if (!(await commitAll(c, message)))
        return {
          status: 'unchanged',
          commit: c.tip,
          message: `unchanged: the tip of ${o.branch} already has the tree of ${target.slice(0, 12)}`,
        };
      if ((await pushBranch(c, o.repo, o.branch)) === 'pushed') {
        const commit = (await c.git.revparse(['HEAD'])).trim();
        return {
          status: 'rolled-back',
          commit,
          message: `rolled ${o.branch} back to ${target.slice(0, 12)} with commit ${commit.slice(0, 12)}`,
        };
      }
    } finally {
      c.dispose();
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
  }
  throw new PublishError(
    `push to ${redactUrl(o.repo)} (branch ${o.branch}) was rejected repeatedly by concurrent pushes; nothing was forced`,
  );
}
