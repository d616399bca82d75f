import { isAncestor, parseTrailers } from '../git/client';
import { TRAILERS } from '../model/keys';
import { BranchCheckout, commitMessage } from './branch';
import { AfterRollbackReason, RolledBackError } from './errors';

/** What a rollback at the tip of the deploy branch rolled back from. */
export interface RollbackAtTip {
  /** The rollback commit (the tip). */
  readonly commit: string;
  /** The newest source commit it rolled back from. @default - none: not recorded (a rollback of a branch without Source-Commit trailers) */
  readonly rolledBackSource?: string;
}

/**
 * The rollback at the tip, if the tip is one. Rollbacks record what they rolled back
 * from (`Rollback-Of-Source`); for a rollback written without that trailer, the
 * `Source-Commit` of the commit it replaced (`Rollback-Of`) is read instead.
 */
export async function rollbackAtTip(
  c: BranchCheckout,
  branch: string,
  tipTrailers: Readonly<Record<string, readonly string[]>>,
): Promise<RollbackAtTip | undefined> {
  if (!c.tip) return undefined;
  const replaced = tipTrailers[TRAILERS.rollbackOf]?.[0];
  if (!replaced) return undefined;
  const recorded = tipTrailers[TRAILERS.rollbackOfSource]?.[0];
  if (recorded) return { commit: c.tip, rolledBackSource: recorded };
  const message = await commitMessage(c, branch, replaced);
  return {
    commit: c.tip,
    rolledBackSource: message === undefined ? undefined : parseTrailers(message)[TRAILERS.sourceCommit]?.[0],
  };
}

/** How `source` relates to the source commit a rollback rolled back from, in the config repo at `root`. */
export async function compareToRolledBack(
  root: string,
  source: string,
  rolledBack: string,
): Promise<AfterRollbackReason | 'newer'> {
  if (source === rolledBack) return 'same';
  const newer = await isAncestor(root, rolledBack, source);
  if (newer === undefined) return 'unknown';
  if (newer) return 'newer';
  const older = await isAncestor(root, source, rolledBack);
  return older === undefined ? 'unknown' : older ? 'older' : 'diverged';
}

const WHY: Record<AfterRollbackReason, (s: string, r: string) => string> = {
  same: (s) => `source commit ${s} is the one it rolled back from`,
  older: (s, r) => `source commit ${s} is older than ${r}, which it rolled back from (an ancestor of it)`,
  diverged: (s, r) => `source commit ${s} does not contain ${r}, which it rolled back from, so it is not newer`,
  unknown: (s, r) =>
    `cannot tell whether source commit ${s} is newer than ${r}, which it rolled back from: one of them is not in the history of the config repo (fetch more history, e.g. git fetch --unshallow)`,
};

/**
 * Refuses (throws {@link RolledBackError}) to publish `source` over a rollback unless it
 * is newer than (a descendant of) what the rollback replaced: publishing the rolled-back
 * commit again, or an older one, would silently undo the rollback.
 */
export async function checkAfterRollback(
  root: string,
  branch: string,
  source: string,
  at: RollbackAtTip,
): Promise<void> {
  const short = (x: string) => x.slice(0, 12);
  const how = `publish a new source commit (one that contains the fix), or pass --force-after-rollback to publish ${short(source)} anyway`;
  if (!at.rolledBackSource) {
    throw new RolledBackError(
      `the tip of ${branch} (${short(at.commit)}) is a rollback that records no source commit; not publishing over it: ${how}`,
      at.commit,
      '',
      'unknown',
    );
  }
  const relation = await compareToRolledBack(root, source, at.rolledBackSource);
  if (relation === 'newer') return;
  throw new RolledBackError(
    `the tip of ${branch} (${short(at.commit)}) is a rollback; ${WHY[relation](short(source), short(at.rolledBackSource))}; publishing it would undo the rollback. To go ahead, ${how}`,
    at.commit,
    at.rolledBackSource,
    relation,
  );
}
