import { sha256 } from './hash';
import { UsageError } from './errors';

/**
 * Who owns an inventory and an AppSync: one source, a branch and folder of one
 * repository, known by a name. The name is what is recorded (label
 * `synthops.dev/source`); the URL, branch and folder are recorded beside it for
 * messages. A source that moves (same name, new URL) keeps what it owns.
 */
export interface SourceIdentity {
  /** A label value: given with `--source`, or derived from url, branch and path. */
  readonly name: string;
  /** Remote URL without credentials. */
  readonly url: string;
  readonly branch: string;
  /** Folder in the branch, normalised (`.` for the root). */
  readonly path: string;
}

/** Where a source reads from (credentials already stripped from the URL). */
export interface SourceLocation {
  readonly url: string;
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Why `name` cannot name a source, or undefined when it can. */
export function sourceNameProblem(name: string): string | undefined {
  if (LABEL_VALUE.test(name)) return undefined;
  return `"${name}" cannot name a source: it is a label value, 1 to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
}

/** The folder as recorded: no leading `./`, no trailing `/`, `.` for the root. */
export function normalizeSourcePath(p: string | undefined): string {
  const parts = (p ?? '.').split('/').filter((x) => x !== '' && x !== '.');
  return parts.length === 0 ? '.' : parts.join('/');
}

/** The URL without what does not change the repository: credentials (or their redaction), a trailing slash, `.git`. */
export function normalizeUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The name of a source that was given none: a readable prefix (repository, branch,
 * folder) and a hash of all three, so it is stable across runs and machines and
 * differs for any two sources.
 */
export function defaultSourceName(loc: SourceLocation): string {
  const url = normalizeUrl(loc.url);
  const folder = normalizeSourcePath(loc.path);
  const hash = sha256(`${url}\n${loc.branch}\n${folder}`).slice(0, 10);
  const repo = url.split(/[/:]/).pop() ?? '';
  const readable = slug([repo, loc.branch, folder === '.' ? '' : folder].filter(Boolean).join('-'))
    .slice(0, 40)
    .replace(/-+$/, '');
  return readable ? `${readable}-${hash}` : hash;
}

/** The identity of a source: `name` when given (checked), else the derived one. Throws a UsageError for an invalid name. */
export function sourceIdentity(loc: SourceLocation, name?: string): SourceIdentity {
  if (name !== undefined) {
    const problem = sourceNameProblem(name);
    if (problem) throw new UsageError(`--source: ${problem}`);
  }
  return {
    name: name ?? defaultSourceName(loc),
    url: loc.url,
    branch: loc.branch,
    path: normalizeSourcePath(loc.path),
  };
}

/** `"name" (url, branch b, path p)`: how a source is named in messages. */
export function describeSource(s: {
  readonly name: string;
  readonly url?: string;
  readonly branch?: string;
  readonly path?: string;
}): string {
  const where = [s.url, s.branch && `branch ${s.branch}`, s.path && s.path !== '.' ? `path ${s.path}` : undefined]
    .filter(Boolean)
    .join(', ');
  return where ? `"${s.name}" (${where})` : `"${s.name}"`;
}
