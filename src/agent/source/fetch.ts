import * as fs from 'fs';
import * as path from 'path';
import { GitAuth, describeGitError, isAncestor, parseTrailers, redactUrl, runGit } from '../../git/client';
import { SourceError } from './errors';
import { Revision } from './revision';
import { SignatureError, SignerTrust, isTrusted, verifyCommit } from '../../git/signing';

export { GitAuth, Revision, isAncestor, parseTrailers, redactUrl };

/** Where to fetch from. */
export interface SourceOptions {
  /** Remote URL: file://, https://, ssh:// or scp-style `git@host:org/repo`. */
  readonly url: string;
  readonly branch: string;
  /** Folder that holds the checkout between runs. */
  readonly workdir: string;
  /** Credentials for the remote. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Apply a tip only if its commit is signed by a key these trust (git's own verification). @default - none: no check */
  readonly verify?: SignerTrust;
  /** Folder in the branch the revision is loaded from (recorded in the revision). @default '.' */
  readonly path?: string;
  /** Give up on a git command after this long. @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Commits of history to fetch. 1 is enough to apply; the long-running agent
   * fetches more to tell a fast-forward from a rewritten history. @default 1
   */
  readonly depth?: number;
}

/**
 * Fetches the tip of one branch (shallow, depth 1) into `workdir` and checks it out.
 * The folder is reused between runs: only new objects are fetched.
 */
export async function fetchRevision(opts: SourceOptions): Promise<Revision> {
  // A URL that git would read as an option is refused before it reaches a command line.
  if (opts.url.startsWith('-')) throw new SourceError(redactUrl(opts.url), opts.branch, 'not a Git URL');
  const dir = path.resolve(opts.workdir);
  // Only the agent's user may write the checkout (and the parse cache in it).
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const git = (...args: string[]) => runGit(dir, args, opts.auth, opts.timeoutMs);
  let revision: Revision;
  try {
    if (!fs.existsSync(path.join(dir, '.git'))) {
      await git('init', '-q');
      await git('remote', 'add', 'origin', opts.url);
    } else {
      await git('remote', 'set-url', 'origin', opts.url);
    }
    await git(
      'fetch',
      '-q',
      '--depth',
      String(opts.depth ?? 1),
      '--no-tags',
      'origin',
      `+refs/heads/${opts.branch}:refs/remotes/origin/${opts.branch}`,
    );
    await git('checkout', '-q', '--force', '--detach', `refs/remotes/origin/${opts.branch}`);
    await git('clean', '-ffdxq');
    const out = await git('log', '-1', '--format=%H%n%ct%n%B');
    const [sha, ct, ...body] = out.split('\n');
    revision = {
      sha: sha.trim(),
      dir,
      committedAt: new Date(Number(ct) * 1000),
      trailers: parseTrailers(body.join('\n')),
      source: { url: redactUrl(opts.url), branch: opts.branch, path: opts.path },
    };
  } catch (e) {
    throw new SourceError(redactUrl(opts.url), opts.branch, describeGitError(e, opts.branch));
  }
  if (opts.verify) {
    // Outside the try: a bad signature is its own typed error, not a git failure.
    const check = await verifyCommit(dir, revision.sha, opts.verify);
    if (!isTrusted(check, opts.verify)) throw new SignatureError(check);
  }
  return revision;
}
