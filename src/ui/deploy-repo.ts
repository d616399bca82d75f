import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoadedManifests as LoadedRevision, loadRevision } from '../agent/source/load';
import { GitAuth, describeGitError, parseTrailers, redactUrl, runGit } from '../git/client';
import { Manifest, ObjectRef, identityKey, refOf } from '../model/manifest';

/** Where the deploy branch is, as the agent is configured. */
export interface DeployRepoOptions {
  readonly url: string;
  readonly branch: string;
  /** Folder in the branch. @default '.' */
  readonly path?: string;
  /** Git credentials. @default undefined: none (file://, public remotes) */
  readonly auth?: GitAuth;
  /** Commits of history fetched. @default 50 */
  readonly depth?: number;
  /** The branch is fetched again at most this often. @default 5000 */
  readonly minFetchIntervalMs?: number;
}

/** One commit of the deploy branch. */
export interface DeployCommit {
  readonly sha: string;
  readonly committedAt: string;
  readonly subject: string;
  /** `Source-Commit`, `Source-Repo`, `Allow-Prune`, `Rollback-Of`, ... */
  readonly trailers: Readonly<Record<string, readonly string[]>>;
}

/** A git operation on the deploy repo failed. */
export class DeployRepoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployRepoError';
  }
}

const LOADED_CACHE = 3;

/**
 * Read access to the deploy branch: its recent history with trailers, and the desired
 * objects at a revision (loaded as the agent loads them, hashes checked). One bare
 * clone in a temporary folder, fetched shallowly and at most every few seconds.
 */
export class DeployRepo {
  private readonly dir: string;
  private initialised?: Promise<void>;
  private fetching?: Promise<void>;
  private lastFetch = 0;
  private lastError?: string;
  private fetchedAt?: string;
  private readonly loaded = new Map<string, Promise<LoadedRevision>>();
  /** Checkouts share the clone's index: one at a time. */
  private checkouts: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: DeployRepoOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ui-'));
  }

  /** The URL without credentials, and the branch, for the pages. */
  public get where(): { readonly url: string; readonly branch: string; readonly path: string } {
    return { url: redactUrl(this.o.url), branch: this.o.branch, path: this.o.path ?? '.' };
  }

  /** When the branch was last fetched, and the last fetch error if the last fetch failed. */
  public get fetchState(): { readonly fetchedAt?: string; readonly error?: string } {
    return { fetchedAt: this.fetchedAt, error: this.lastError };
  }

  private git(args: readonly string[]): Promise<string> {
    return runGit(this.dir, args, this.o.auth);
  }

  private get ref(): string {
    return `refs/remotes/origin/${this.o.branch}`;
  }

  /** Fetches the branch unless it was fetched a moment ago; never rejects (see {@link fetchState}). */
  public async refresh(): Promise<void> {
    if (this.fetching) return this.fetching;
    if (Date.now() - this.lastFetch < (this.o.minFetchIntervalMs ?? 5000)) return;
    this.fetching = (async () => {
      try {
        this.initialised ??= (async () => {
          await this.git(['init', '-q', '--bare']);
          await this.git(['remote', 'add', 'origin', this.o.url]);
        })();
        await this.initialised;
        await this.git([
          'fetch',
          '-q',
          '--depth',
          String(this.o.depth ?? 50),
          '--no-tags',
          'origin',
          `+refs/heads/${this.o.branch}:${this.ref}`,
        ]);
        this.lastError = undefined;
        this.fetchedAt = new Date().toISOString();
      } catch (e) {
        this.lastError = `git remote ${redactUrl(this.o.url)} (branch ${this.o.branch}): ${describeGitError(e, this.o.branch)}`;
      } finally {
        this.lastFetch = Date.now();
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }

  /** The newest commits of the branch, newest first (empty before a successful fetch). */
  public async history(limit = 20): Promise<DeployCommit[]> {
    await this.refresh();
    if (!this.fetchedAt) return [];
    const out = await this.git(['log', '-n', String(limit), '--format=%H%x00%cI%x00%B%x1e', this.ref]).catch(() => '');
    return out
      .split('\x1e')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r) => {
        const [sha, committedAt, body] = r.split('\x00');
        return { sha, committedAt, subject: body.split('\n')[0], trailers: parseTrailers(body) };
      });
  }

  /** The revision as the agent loads it (synthops output: the environment `env`). */
  public loadAt(sha: string, env: string): Promise<LoadedRevision> {
    const key = `${sha}|${env}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = this.load(sha, env);
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
      while (this.loaded.size > LOADED_CACHE) this.loaded.delete(this.loaded.keys().next().value!);
    }
    return p;
  }

  private async load(sha: string, env: string): Promise<LoadedRevision> {
    if (!/^[0-9a-f]{40}$/.test(sha)) throw new DeployRepoError(`"${sha}" is not a commit sha`);
    await this.refresh();
    if (!this.initialised) throw new DeployRepoError(this.lastError ?? 'the deploy branch was not fetched');
    const has = await this.git(['cat-file', '-e', `${sha}^{commit}`]).then(
      () => true,
      () => false,
    );
    if (!has) {
      // Older than the fetched history: ask for that one commit.
      await this.git(['fetch', '-q', '--depth', '1', 'origin', sha]).catch((e: unknown) => {
        throw new DeployRepoError(
          `revision ${sha.slice(0, 12)} is not in the deploy branch's recent history and cannot be fetched: ${describeGitError(e, this.o.branch)}`,
        );
      });
    }
    const run = this.checkouts.then(async () => {
      const tree = fs.mkdtempSync(path.join(this.dir, 'tree-'));
      try {
        await this.git(['--work-tree', tree, 'checkout', '-q', '--force', sha, '--', '.']);
        return loadRevision(tree, { path: this.o.path, env, revision: sha });
      } finally {
        fs.rmSync(tree, { recursive: true, force: true });
      }
    });
    this.checkouts = run.catch(() => undefined);
    return run;
  }

  /** The desired manifest of one object of an app at a revision, or undefined when the revision does not have it. */
  public async desired(sha: string, env: string, app: string, ref: ObjectRef): Promise<Manifest | undefined> {
    const loaded = await this.loadAt(sha, env);
    const objects = loaded.apps.find((a) => a.name === app)?.objects ?? [];
    const key = identityKey(ref);
    const exact = objects.find((o) => identityKey(refOf(o.manifest)) === key);
    if (exact) return exact.manifest;
    // Plain YAML may leave the namespace out; the agent fills it in.
    const bare = objects.find(
      (o) => !o.manifest.metadata.namespace && identityKey({ ...refOf(o.manifest), namespace: ref.namespace }) === key,
    );
    return bare ? { ...bare.manifest, metadata: { ...bare.manifest.metadata, namespace: ref.namespace } } : undefined;
  }

  /** Removes the clone. */
  public dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
