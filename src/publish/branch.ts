import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SimpleGit } from 'simple-git';
import { GitAuth, describeGitError, gitAt, redactUrl, runGit } from '../git/client';
import { SigningKey, signingConfig } from '../git/signing';
import { PublishError } from './errors';

/** A local checkout of one branch of a remote, made to commit on top of its tip. */
export interface BranchCheckout {
  readonly dir: string;
  readonly git: SimpleGit;
  /** Tip of the branch, or undefined when the branch does not exist yet (orphan). @default - none: a new (orphan) branch */
  readonly tip?: string;
  /** Key that signs the commits made here. @default - none: commits are not signed */
  readonly signing?: SigningKey;
  /** Removes the checkout. */
  dispose(): void;
}

/** Options for {@link checkoutBranch}. */
export interface CheckoutOptions {
  readonly url: string;
  readonly branch: string;
  /** Credentials for the remote. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Fetch the whole branch history (rollback needs it). @default false: the tip only */
  readonly fullHistory?: boolean;
  /** Sign the commits made in this checkout (`--sign-key`). @default - none: unsigned */
  readonly signing?: SigningKey;
}

const IDENTITY = ['-c', 'user.name=synthops', '-c', 'user.email=synthops@localhost'];

/**
 * Fetches the tip of `branch` (or prepares an orphan branch when it does not exist)
 * into a temporary folder.
 */
export async function checkoutBranch(o: CheckoutOptions): Promise<BranchCheckout> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-publish-'));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  const git = gitAt(dir, o.auth);
  try {
    await git.init();
    await git.addRemote('origin', o.url);
    const heads = await git.listRemote(['--heads', 'origin', `refs/heads/${o.branch}`]);
    if (!heads.trim()) {
      await git.raw(['checkout', '--orphan', o.branch]);
      return { dir, git, signing: o.signing, dispose };
    }
    await git.fetch([
      ...(o.fullHistory ? [] : ['--depth', '1']),
      '--no-tags',
      'origin',
      `+refs/heads/${o.branch}:refs/remotes/origin/${o.branch}`,
    ]);
    await git.raw(['checkout', '-B', o.branch, `refs/remotes/origin/${o.branch}`]);
    return { dir, git, tip: (await git.revparse(['HEAD'])).trim(), signing: o.signing, dispose };
  } catch (e) {
    dispose();
    throw new PublishError(`git remote ${redactUrl(o.url)} (branch ${o.branch}): ${describeGitError(e, o.branch)}`);
  }
}

/** Stages everything in the work tree; true when the tree then differs from the tip. */
export async function stageAll(c: BranchCheckout): Promise<boolean> {
  await c.git.raw(['add', '-A']);
  return (await c.git.raw(['status', '--porcelain'])).trim() !== '';
}

/**
 * Commits everything in the work tree with `message`; false when there was nothing to
 * commit. With `allowEmpty`, a commit is made even when the tree is the tip's (its
 * trailers are the news, e.g. an `Allow-Prune:` approval). Signed when the checkout
 * has a signing key.
 */
export async function commitAll(c: BranchCheckout, message: string, allowEmpty = false): Promise<boolean> {
  if (!(await stageAll(c)) && !allowEmpty) return false;
  const sign = c.signing ? signingConfig(c.signing) : { args: [], env: {} };
  try {
    await runGit(
      c.dir,
      [...IDENTITY, ...sign.args, 'commit', '-q', ...(allowEmpty ? ['--allow-empty'] : []), '-m', message],
      undefined,
      60_000,
      sign.env,
    );
  } catch (e) {
    throw new PublishError(
      `commit failed${c.signing ? ` (signing with ${c.signing.format} key ${c.signing.key})` : ''}: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`,
    );
  }
  return true;
}

/**
 * The message of commit `sha` of the checked-out branch. A shallow checkout (the tip
 * only) is deepened by one commit when `sha` is not there yet: enough for the tip's
 * parent. Undefined when it is still not found.
 */
export async function commitMessage(c: BranchCheckout, branch: string, sha: string): Promise<string | undefined> {
  const read = () =>
    c.git.raw(['log', '-1', '--format=%B', sha]).then(
      (m) => m,
      () => undefined,
    );
  const first = await read();
  if (first !== undefined) return first;
  await c.git
    .raw(['fetch', '--deepen', '1', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`])
    .catch(() => undefined);
  return read();
}

/** Outcome of a push. */
export type PushResult = 'pushed' | 'rejected';

/** Pushes HEAD to the branch, never forced. A rejection (someone pushed first) is reported, not thrown. */
export async function pushBranch(c: BranchCheckout, url: string, branch: string): Promise<PushResult> {
  try {
    await c.git.raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`]);
    return 'pushed';
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (
      /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref|stale info|\[remote rejected\].*(incorrect old value|failed to lock)/i.test(
        text,
      )
    )
      return 'rejected';
    throw new PublishError(
      `git remote ${redactUrl(url)} (branch ${branch}): push failed: ${describeGitError(e, branch)}`,
    );
  }
}

/** Replaces the work tree (all but .git) with the files of `src`. */
export function replaceTree(dir: string, src: string): void {
  for (const entry of fs.readdirSync(dir))
    if (entry !== '.git') fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  fs.cpSync(src, dir, { recursive: true });
}

/** Commit message with trailers, git style (subject, blank line, `Key: value` lines). */
export function withTrailers(subject: string, trailers: ReadonlyArray<readonly [string, string | undefined]>): string {
  const lines = trailers.filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`);
  return lines.length > 0 ? `${subject}\n\n${lines.join('\n')}\n` : `${subject}\n`;
}
