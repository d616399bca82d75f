/**
 * Records what an app module reads besides the modules it requires, while it is
 * loaded and built: files read with `fs.readFileSync`, folders listed with
 * `fs.readdirSync`, and files taken in by cdk8s `Include` / `Yaml.load` (which read
 * them in a child process). The synth cache keys an app's output on these, so a
 * changed YAML file re-renders the apps that read it.
 *
 * Anything read in a way this cannot see (another child process, a URL) makes the
 * module uncacheable: a cache miss only costs time, a wrong hit is wrong output.
 */
import * as path from 'path';
// The real module objects (not an import-star copy): the hooks must replace the
// functions that every other module calls.
import fs = require('fs');
import childProcess = require('child_process');
import { sha256 } from '../model/hash';
import { RenderInputs } from '../render/inputs';
import { onRenderInputs } from '../render/report';
import { ToolName, isVersionQuery } from '../render/tools';

/** What one app module read while it was loaded and built. */
export interface TracedReads {
  /** Absolute paths of files read. */
  readonly files: Set<string>;
  /** Absolute paths of folders listed. */
  readonly dirs: Set<string>;
  /** Folders whose whole content a render at synth time read (a Kustomization's, a HelmChart's). */
  readonly trees: Set<string>;
  /** The tools those renders ran: their version is an input. */
  readonly tools: Set<ToolName>;
  /** Binaries of reported renders: running them does not make the module uncacheable. */
  readonly renders: Set<string>;
  /** Why the module's output must not be cached, if it read something untraceable. @default - none: the output may be cached */
  uncacheable?: string;
}

/** An empty record, to pass to {@link ReadTracer.during}. */
export function newTracedReads(): TracedReads {
  return { files: new Set(), dirs: new Set(), trees: new Set(), tools: new Set(), renders: new Set() };
}

// cdk8s's Yaml.load runs `node <cdk8s>/lib/_loadurl.mjs <url-or-file>` to read synchronously.
const CDK8S_LOADURL = /[\\/]cdk8s[\\/]lib[\\/]_loadurl\.mjs$/;

function pathArg(p: unknown): string | undefined {
  if (typeof p === 'string') return path.resolve(p);
  if (p instanceof URL && p.protocol === 'file:') return path.resolve(decodeURIComponent(p.pathname));
  if (Buffer.isBuffer(p)) return path.resolve(p.toString());
  return undefined; // a file descriptor: its path was recorded when it was opened, if at all
}

type AnyFn = (...args: never[]) => unknown;

/**
 * Hooks `fs` and `child_process` while installed and attributes what they read to the
 * record passed to {@link during}. Outside `during` the hooks only pass calls through.
 */
export class ReadTracer {
  private current: TracedReads | undefined;
  private readonly restores: Array<() => void> = [];
  private readonly hashes = new Map<string, string>();

  /**
   * sha256 of every file as it was read while tracing (absolute path -> hash). The
   * cache records these rather than the files' content when it stores an entry, so a
   * file edited during the synth cannot pair old output with its new content.
   */
  public get readHashes(): ReadonlyMap<string, string> {
    return this.hashes;
  }

  /** Installs the hooks (idempotent). Always pair with {@link uninstall}. */
  public install(): void {
    if (this.restores.length > 0) return;
    const stop = onRenderInputs((inputs) => this.onRender(inputs));
    this.restores.push(() => {
      stop();
    });
    this.hook(fs, 'readFileSync', (args) => {
      const file = pathArg(args[0]);
      if (!file) return undefined;
      this.current?.files.add(file);
      return (data: unknown) => this.remember(file, data, args[1]);
    });
    this.hook(fs, 'readdirSync', (args) => {
      const dir = pathArg(args[0]);
      if (dir) this.current?.dirs.add(dir);
    });
    this.hook(childProcess, 'execFileSync', (args) => this.onChildProcess(args[0], args[1]));
    this.hook(childProcess, 'spawnSync', (args) => this.onChildProcess(args[0], args[1]));
    this.hook(childProcess, 'execSync', () => this.markUncacheable('runs a child process'));
  }

  /** Removes the hooks. */
  public uninstall(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
    this.current = undefined;
  }

  /** Runs `fn`, recording into `into` what it reads. Nested calls record into the innermost. */
  public during<T>(into: TracedReads, fn: () => T): T {
    const previous = this.current;
    this.current = into;
    try {
      return fn();
    } finally {
      this.current = previous;
    }
  }

  /** Keeps the hash of what a read returned (bytes, or text decoded as UTF-8). */
  private remember(file: string, data: unknown, options: unknown): void {
    const encoding = typeof options === 'string' ? options : (options as { encoding?: unknown } | undefined)?.encoding;
    let bytes: Buffer | undefined;
    if (Buffer.isBuffer(data)) bytes = data;
    else if (typeof data === 'string' && (encoding === 'utf8' || encoding === 'utf-8'))
      bytes = Buffer.from(data, 'utf8');
    if (bytes && !this.hashes.has(file)) this.hashes.set(file, sha256(bytes));
  }

  private markUncacheable(reason: string): void {
    if (this.current && !this.current.uncacheable) this.current.uncacheable = reason;
  }

  /** A render at synth time: its folders, files and tool are inputs, and its run is traced. */
  private onRender(inputs: RenderInputs): void {
    const current = this.current;
    if (!current) return;
    if (inputs.uncacheable) this.markUncacheable(`renders with ${inputs.tool.name}: ${inputs.uncacheable}`);
    for (const t of inputs.trees) current.trees.add(t);
    for (const f of inputs.files) current.files.add(f);
    current.tools.add(inputs.tool.name);
    current.renders.add(inputs.tool.path);
  }

  private onChildProcess(file: unknown, args: unknown): void {
    if (!this.current) return;
    if (typeof file === 'string' && this.current.renders.has(file)) return;
    // A Kustomization or HelmChart reads its tool's version first; the version is recorded as an input.
    if (typeof file === 'string' && Array.isArray(args) && isVersionQuery(file, args)) return;
    const argv = Array.isArray(args) ? args : [];
    if (typeof argv[0] === 'string' && CDK8S_LOADURL.test(argv[0]) && typeof argv[1] === 'string') {
      // Include / Yaml.load of a local file: the child reads it only if it is a regular file.
      const target = path.resolve(argv[1]);
      let regular = false;
      try {
        regular = fs.lstatSync(target).isFile();
      } catch {
        regular = false;
      }
      if (regular) {
        this.current.files.add(target);
        this.remember(target, fs.readFileSync(target), undefined); // the child reads it right after
      } else this.markUncacheable(`reads ${argv[1]} (not a local file)`);
      return;
    }
    this.markUncacheable(`runs ${String(file)}`);
  }

  /** Replaces `mod[name]`; `before` runs while tracing and may return a callback for the result. */
  private hook<M extends object, K extends keyof M & string>(
    mod: M,
    name: K,
    before: (args: unknown[]) => ((result: unknown) => void) | void,
  ): void {
    const original = mod[name] as unknown as AnyFn;
    const active = (): boolean => this.current !== undefined;
    const hooked = function (this: unknown, ...args: unknown[]): unknown {
      const after = active() ? before(args) : undefined;
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (after) after(result);
      return result;
    };
    (mod as Record<string, unknown>)[name] = hooked;
    this.restores.push(() => {
      // Leave a hook installed after ours (graceful-fs and the like) in place.
      if ((mod as Record<string, unknown>)[name] === hooked) (mod as Record<string, unknown>)[name] = original;
    });
  }
}
