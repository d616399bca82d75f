/**
 * The inputs an app module's output depends on, recorded when it is rendered and
 * re-checked before its cached output is reused. A record maps a typed key to the
 * input's value at render time:
 *
 * - `f:<path>`  a file: sha256 of its content (`-` when missing). Modules of the
 *   config repo (and of synthops itself when it is linked from a checkout), files read
 *   while building, and files taken in by `Include`.
 * - `p:<dir>`   a package under node_modules: `name@version` from its package.json.
 *   Packages are keyed by version rather than content (they do not change in place).
 * - `d:<dir>`   a folder holding one of the app's modules: the names of its files and
 *   the content of those that are not modules (YAML, JSON, ...). `<dir>/**` covers the
 *   whole subtree (an app's own folder `apps/<name>/`).
 * - `l:<dir>`   a folder listed while building: the names in it.
 * - `t:<dir>`   a folder a render at synth time read (a Kustomization's, a HelmChart's):
 *   the names and content of every file below it.
 * - `x:<tool>`  a tool such a render ran: its version.
 *
 * Paths are relative to the config repo root when inside it ("/" separated), absolute
 * otherwise. Values are computed at most once per synth.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { APPS_DIR, ENVIRONMENTS_MODULE, LOADER_MODULE } from './discover';
import { TracedReads } from './trace';
import { sha256 } from '../model/hash';
import { treeDigest } from '../render/inputs';
import { ToolName, findTool } from '../render/tools';

/** Dependency key -> value at render time. */
export type DepRecord = Readonly<Record<string, string>>;

const MISSING = '-';
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
// Extensions Node or ts-node load as code; everything else in a folder is data.
const MODULE_EXT = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
// Never part of a folder's fingerprint: dependencies, VCS data, synth output and caches.
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist']);

function isModuleFile(name: string): boolean {
  return MODULE_EXT.has(path.extname(name));
}

function inNodeModules(file: string): boolean {
  return file.includes(NODE_MODULES);
}

/** `/x/node_modules/@scope/pkg/lib/a.js` -> `/x/node_modules/@scope/pkg`. */
function packageDir(file: string): string {
  const at = file.lastIndexOf(NODE_MODULES) + NODE_MODULES.length;
  const parts = file.slice(at).split(path.sep);
  return file.slice(0, at) + (parts[0].startsWith('@') ? `${parts[0]}${path.sep}${parts[1]}` : parts[0]);
}

/** Reachability over loaded modules, at package granularity inside node_modules. */
interface PackageReach {
  readonly packages: Set<string>;
  /** Modules outside node_modules that a package requires (rare: linked packages, plugins). */
  readonly modules: Set<NodeModule>;
}

/**
 * Computes and memoises the current value of dependency keys for one synth, and
 * records the dependencies of loaded modules.
 */
export class DepResolver {
  private readonly values = new Map<string, string>();
  private packageGraph: Map<string, PackageReach> | undefined;
  private readonly reach = new Map<string, PackageReach>();
  private readonly appsDir: string;
  private readonly skipInAppsDir: Set<string>;

  /**
   * @param root config repo root
   * @param appModules absolute paths of the app modules: the apps folder's fingerprint
   *   leaves them out, so adding an app does not invalidate every other app
   * @param readHashes hashes of files as they were read in this synth; they win over
   *   the content on disk, which may have changed since
   */
  constructor(
    private readonly root: string,
    appModules: readonly string[],
    private readonly readHashes: ReadonlyMap<string, string> = new Map(),
  ) {
    this.appsDir = path.join(root, APPS_DIR);
    this.skipInAppsDir = new Set(
      appModules.filter((f) => path.dirname(f) === this.appsDir).map((f) => path.basename(f)),
    );
    for (const ext of ['.ts', '.js']) this.skipInAppsDir.add(`${ENVIRONMENTS_MODULE}${ext}`);
  }

  /** Forgets the module graph: call after loading more modules, before {@link moduleKeys}. */
  public refreshModules(): void {
    this.packageGraph = undefined;
    this.reach.clear();
  }

  /** The key's form of a path. */
  public keyPath(abs: string): string {
    const rel = path.relative(this.root, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel.split(path.sep).join('/');
  }

  private absPath(keyPath: string): string {
    return path.isAbsolute(keyPath) ? keyPath : path.join(this.root, ...keyPath.split('/'));
  }

  /** Current value of a dependency key. */
  public value(key: string): string {
    let v = this.values.get(key);
    if (v === undefined) {
      v = this.compute(key);
      this.values.set(key, v);
    }
    return v;
  }

  /** True when every dependency still has the value it was recorded with. */
  public matches(record: DepRecord): boolean {
    for (const [key, value] of Object.entries(record)) {
      if (this.value(key) !== value) return false;
    }
    return true;
  }

  /** The current values of `keys`, as a record. */
  public record(keys: Iterable<string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of [...new Set(keys)].sort()) out[key] = this.value(key);
    return out;
  }

  /**
   * The dependency keys of a loaded module: every module it reached through `require`
   * (its own, local helpers, imports/, packages by version), the folders holding them,
   * and what it read while it was loaded and built.
   *
   * @param ownTree a folder whose whole subtree belongs to this module (an app's folder)
   */
  public moduleKeys(start: NodeModule, traced?: TracedReads, ownTree?: string): string[] {
    const keys: string[] = [];
    const files = new Set<string>();
    const packages = new Set<string>();
    const seen = new Set<NodeModule>();
    const stack: NodeModule[] = [start];
    while (stack.length > 0) {
      const m = stack.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      if (inNodeModules(m.filename)) {
        const reach = this.packageReach(packageDir(m.filename));
        for (const p of reach.packages) packages.add(p);
        for (const child of reach.modules) stack.push(child);
        continue;
      }
      files.add(m.filename);
      // synth's own loader requires the config repo's modules; those are not dependencies of this one.
      if (m !== LOADER_MODULE) for (const child of m.children) stack.push(child);
    }
    const dirs = new Set([...files].map((f) => path.dirname(f)));
    if (ownTree) {
      keys.push(`d:${this.keyPath(ownTree)}/**`);
      for (const d of [...dirs]) if (d === ownTree || d.startsWith(ownTree + path.sep)) dirs.delete(d);
    }
    for (const f of files) keys.push(`f:${this.keyPath(f)}`);
    for (const p of packages) keys.push(`p:${this.keyPath(p)}`);
    for (const d of dirs) keys.push(`d:${this.keyPath(d)}`);
    for (const f of traced?.files ?? []) {
      // Which files Node and ts-node read depends on what earlier synths in this process
      // loaded already; keep the keys the same either way. Package files are their
      // package's version; package.json files are read for module resolution and are
      // covered by their folder (`d:`) or the explicit root key.
      if (inNodeModules(f)) keys.push(`p:${this.keyPath(packageDir(f))}`);
      else if (path.basename(f) !== 'package.json') keys.push(`f:${this.keyPath(f)}`);
    }
    for (const d of traced?.dirs ?? []) keys.push(`l:${this.keyPath(d)}`);
    for (const d of traced?.trees ?? []) keys.push(`t:${this.keyPath(d)}`);
    for (const tool of traced?.tools ?? []) keys.push(`x:${tool}`);
    return keys;
  }

  private compute(key: string): string {
    const kind = key.slice(0, 2);
    const target = key.slice(2);
    switch (kind) {
      case 'f:':
        return this.readHashes.get(this.absPath(target)) ?? this.fileValue(this.absPath(target));
      case 'p:':
        return this.packageValue(this.absPath(target));
      case 'd:':
        return target.endsWith('/**')
          ? this.folderValue(this.absPath(target.slice(0, -3)), true)
          : this.folderValue(this.absPath(target), false);
      case 'l:':
        return this.listingValue(this.absPath(target));
      case 't:':
        // A folder that cannot be digested (a symlink to a folder) never matches.
        return treeDigest(this.absPath(target)) ?? `undigestable:${randomUUID()}`;
      case 'x:':
        return this.toolValue(target as ToolName);
      default:
        return `unknown:${key}`; // an unknown kind never matches a recorded value
    }
  }

  private fileValue(file: string): string {
    try {
      return sha256(fs.readFileSync(file));
    } catch {
      return MISSING;
    }
  }

  private packageValue(dir: string): string {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      return `${String(pkg.name)}@${String(pkg.version)}`;
    } catch {
      return MISSING;
    }
  }

  private toolValue(name: ToolName): string {
    try {
      return findTool(name).version;
    } catch {
      return MISSING;
    }
  }

  private listingValue(dir: string): string {
    try {
      return sha256(fs.readdirSync(dir).sort().join('\n'));
    } catch {
      return MISSING;
    }
  }

  /** Names of the files in `dir` (and below when `recursive`), with the content of non-modules. */
  private folderValue(dir: string, recursive: boolean): string {
    const lines: string[] = [];
    const walk = (d: string, prefix: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(d, { withFileTypes: true });
      } catch {
        lines.push(`${prefix}${MISSING}`);
        return;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (recursive && !SKIP_DIRS.has(e.name)) walk(p, `${prefix}${e.name}/`);
          continue;
        }
        if (d === this.appsDir && this.skipInAppsDir.has(e.name)) continue;
        lines.push(
          isModuleFile(e.name) ? `${prefix}${e.name}` : `${prefix}${e.name} ${this.value(`f:${this.keyPath(p)}`)}`,
        );
      }
    };
    walk(dir, '');
    return sha256(lines.join('\n'));
  }

  /** Packages (and outside modules) reachable from a package, over every module loaded now. */
  private packageReach(pkg: string): PackageReach {
    const memo = this.reach.get(pkg);
    if (memo) return memo;
    const graph = this.graph();
    const packages = new Set<string>();
    const modules = new Set<NodeModule>();
    const queue = [pkg];
    while (queue.length > 0) {
      const p = queue.pop()!;
      if (packages.has(p)) continue;
      packages.add(p);
      const edges = graph.get(p);
      if (!edges) continue;
      for (const q of edges.packages) queue.push(q);
      for (const m of edges.modules) modules.add(m);
    }
    const reach = { packages, modules };
    this.reach.set(pkg, reach);
    return reach;
  }

  /** Package -> packages and outside modules its loaded modules require (built once, after loading). */
  private graph(): Map<string, PackageReach> {
    if (this.packageGraph) return this.packageGraph;
    const graph = new Map<string, PackageReach>();
    for (const m of Object.values(require.cache)) {
      if (!m || !inNodeModules(m.filename)) continue;
      const pkg = packageDir(m.filename);
      const edges = graph.get(pkg) ?? { packages: new Set(), modules: new Set() };
      graph.set(pkg, edges);
      for (const c of m.children) {
        if (!inNodeModules(c.filename)) edges.modules.add(c);
        else {
          const q = packageDir(c.filename);
          if (q !== pkg) edges.packages.add(q);
        }
      }
    }
    this.packageGraph = graph;
    return graph;
  }
}
