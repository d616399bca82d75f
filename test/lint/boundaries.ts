/**
 * Import boundaries of src/: which folder may import which, so dependencies point one
 * way (cli -> features -> kube/git -> model). Biome's noRestrictedImports cannot say this
 * (it matches the specifier text, not the file it resolves to, and skips `require`), so
 * this reads every import with the TypeScript parser and resolves relative ones to folders.
 *
 * Run: `node -r ts-node/register/transpile-only test/lint/boundaries.ts [repo-root]`
 * (exit code 1 and one line per violation when the tree breaks a rule).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** A folder of src/ (a key of {@link LAYERS}), or the package entry `index.ts`. */
export type Layer = string;

/** Marks a layer that may import every other one (the command line). */
export const ANY = '*';

/**
 * What each layer may import besides itself. Keys are folders relative to src/ (the
 * deepest key wins, so `agent/plan` is its own layer), plus `index.ts`, the package entry.
 * A folder that is not here is refused until it is added, so a new folder gets a place
 * in the order when it is created.
 */
// Each agent layer may use the ones before it, plus the shared foundation.
const BASE: readonly Layer[] = ['model', 'kube', 'git', 'render'];
const AGENT: readonly Layer[] = [
  'agent/source',
  'agent/plan',
  'agent/state',
  'agent/apply',
  'agent/reconcile',
  'agent/controller',
];
const below = (layer: Layer): Layer[] => [...BASE, ...AGENT.slice(0, AGENT.indexOf(layer))];

export const LAYERS: Readonly<Record<Layer, readonly Layer[] | typeof ANY>> = {
  model: [],
  kube: ['model'],
  git: ['model'],
  // Kustomization and HelmChart render at synth time with the agent's runners.
  author: ['model', 'render'],
  // Charts and kustomizations render at synth and at load (the rendered-manifests pattern).
  render: ['model'],
  synth: ['model', 'author', 'render'],
  init: ['model'],
  // The agent renders Kustomize and Helm sources while loading them.
  'agent/source': BASE,
  'agent/plan': ['model', 'kube', 'agent/source'],
  'agent/state': ['model', 'kube'],
  'agent/apply': below('agent/apply'),
  'agent/reconcile': below('agent/reconcile'),
  'agent/controller': below('agent/controller'),
  // `diff --cluster` reads the inventories the agent wrote.
  publish: [...BASE, 'synth', 'author', 'agent/state'],
  bootstrap: [...BASE, ...AGENT],
  // A reader of what the agent writes: its status, inventories, health rules and the deploy branch.
  ui: [...BASE, 'agent/source', 'agent/apply', 'agent/state', 'publish'],
  cli: ANY,
  'index.ts': ['author', 'model', 'synth'],
};

/** Files outside src/ that src/ may import, relative to the repository root. */
export const OUTSIDE_ALLOWED: readonly string[] = [
  // Read for the version and the pinned dependency versions; shipped in the package.
  'package.json',
];

/** Bare specifiers that name src/ itself (tsconfig `paths`), and the layer they reach. */
const SELF_SPECIFIERS: Readonly<Record<string, Layer>> = { synthops: 'index.ts' };

export type BoundaryRule =
  /** A layer imports one the table does not allow. */
  | 'layer-boundary'
  /** A file, or an import's target, lies in a folder of src/ the table does not know. */
  | 'unknown-folder'
  /** A relative import leaves src/ for a file not in {@link OUTSIDE_ALLOWED}. */
  | 'outside-src'
  /** Folders import each other, directly or through others. */
  | 'folder-cycle';

export interface Violation {
  readonly rule: BoundaryRule;
  /** Importing file, relative to the repository root, with `/` separators. */
  readonly file: string;
  /** 1-based line of the import. */
  readonly line: number;
  /** The specifier as written. */
  readonly specifier: string;
  readonly message: string;
}

/** How a module was named: each form loads it, so each counts. */
export type ImportKind = 'import' | 'export' | 'import-equals' | 'require' | 'dynamic-import' | 'import-type';

export interface ImportRef {
  readonly kind: ImportKind;
  readonly specifier: string;
  readonly line: number;
}

export interface BoundaryReport {
  /** Files read, relative to the repository root. */
  readonly files: readonly string[];
  /** Imports from one layer into another (same-layer imports are not counted). */
  readonly crossings: number;
  readonly violations: readonly Violation[];
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** Every module specifier written as a string literal in `text`, with its form. */
export function importsOf(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, scriptKind(fileName));
  const out: ImportRef[] = [];
  const add = (kind: ImportKind, node: ts.Node | undefined) => {
    if (!node || !ts.isStringLiteralLike(node)) return; // import(expr) cannot be resolved statically
    out.push({ kind, specifier: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add('import', node.moduleSpecifier);
    else if (ts.isExportDeclaration(node)) add('export', node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add('import-equals', node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add('dynamic-import', node.arguments[0]);
      else if (ts.isIdentifier(node.expression) && node.expression.text === 'require')
        add('require', node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add('import-type', node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (fileName.endsWith('.tsx')) return ts.ScriptKind.TSX;
  return /\.[mc]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

/**
 * The layer of a path relative to src/ (`/` separators; a file, or an import target
 * without its extension), or undefined when the table has no place for it.
 */
export function layerOf(rel: string, layers: Readonly<Record<Layer, unknown>> = LAYERS): Layer | undefined {
  let best: Layer | undefined;
  for (const key of Object.keys(layers)) {
    if (key === 'index.ts') continue;
    if ((rel === key || rel.startsWith(`${key}/`)) && (!best || key.length > best.length)) best = key;
  }
  if (best || rel.includes('/')) return best;
  // A file directly in src/: only the entry has a place. `..` from src/model reaches src/
  // itself, which resolves to src/index.ts too.
  return rel === '' || /^index(\.[mc]?[jt]sx?)?$/.test(rel) ? 'index.ts' : undefined;
}

function allowedBy(layers: typeof LAYERS, from: Layer): readonly Layer[] {
  const allowed = layers[from];
  return allowed === ANY ? Object.keys(layers).filter((k) => k !== from) : allowed;
}

/** Problems of the table itself: unknown names, and cycles it would allow. */
export function checkTable(layers: typeof LAYERS = LAYERS): string[] {
  const problems: string[] = [];
  for (const [from, allowed] of Object.entries(layers)) {
    if (allowed === ANY) continue;
    for (const to of allowed) if (!(to in layers)) problems.push(`${from} lists "${to}", which is not a layer`);
  }
  const graph = new Map(Object.keys(layers).map((k) => [k, new Set(allowedBy(layers, k).filter((t) => t in layers))]));
  for (const { cycle } of cycles(graph)) problems.push(`the table allows a cycle: ${cycle.join(' -> ')}`);
  return problems;
}

/** Checks every source file under `<root>/src` against {@link LAYERS}. */
export function checkBoundaries(root: string, layers: typeof LAYERS = LAYERS): BoundaryReport {
  const src = path.join(root, 'src');
  const files = listSources(src);
  const violations: Violation[] = [];
  // Folder graph from the real imports, with one example import per edge for the cycle report.
  const graph = new Map<Layer, Set<Layer>>();
  const example = new Map<string, { file: string; line: number; specifier: string }>();
  let crossings = 0;

  for (const abs of files) {
    const file = toPosix(path.relative(root, abs));
    const from = layerOf(toPosix(path.relative(src, abs)), layers);
    if (!from) {
      violations.push({
        rule: 'unknown-folder',
        file,
        line: 1,
        specifier: '',
        message: 'has no layer: add its folder to LAYERS in test/lint/boundaries.ts',
      });
      continue;
    }
    for (const ref of importsOf(abs, fs.readFileSync(abs, 'utf8'))) {
      const to = targetLayer(root, src, abs, ref.specifier, layers);
      if (to.kind === 'external') continue;
      const at = { file, line: ref.line, specifier: ref.specifier };
      if (to.kind === 'outside') {
        if (!OUTSIDE_ALLOWED.includes(to.rel)) {
          violations.push({
            rule: 'outside-src',
            ...at,
            message: `imports '${at.specifier}', which leaves src/ for ${to.rel}`,
          });
        }
        continue;
      }
      if (to.kind === 'unknown') {
        violations.push({
          rule: 'unknown-folder',
          ...at,
          message: `imports '${at.specifier}', which reaches src/${to.rel}, a folder the layer table does not know`,
        });
        continue;
      }
      if (to.layer === from) continue;
      crossings++;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(to.layer);
      if (!example.has(`${from}>${to.layer}`)) example.set(`${from}>${to.layer}`, at);
      const allowed = allowedBy(layers, from);
      if (!allowed.includes(to.layer)) {
        violations.push({
          rule: 'layer-boundary',
          ...at,
          message: `imports '${at.specifier}': ${from} may not import ${to.layer}; ${from} may import ${allowed.join(', ') || 'nothing of ours'}`,
        });
      }
    }
  }

  for (const { group, cycle } of cycles(graph)) {
    const steps = cycle.slice(0, -1).map((f, i) => {
      const at = example.get(`${f}>${cycle[i + 1]}`);
      return at ? where(at) : `${f} -> ${cycle[i + 1]}`;
    });
    const first = example.get(`${cycle[0]}>${cycle[1]}`);
    violations.push({
      rule: 'folder-cycle',
      file: first?.file ?? '',
      line: first?.line ?? 0,
      specifier: first?.specifier ?? '',
      message: `folders ${group.join(', ')} import each other; one cycle: ${cycle.join(' -> ')} (${steps.join('; ')})`,
    });
  }
  return { files: files.map((f) => toPosix(path.relative(root, f))), crossings, violations };
}

type Target =
  | { kind: 'external' }
  | { kind: 'outside'; rel: string }
  | { kind: 'unknown'; rel: string }
  | { kind: 'layer'; layer: Layer };

function targetLayer(root: string, src: string, file: string, specifier: string, layers: typeof LAYERS): Target {
  const self = Object.entries(SELF_SPECIFIERS).find(([name]) => specifier === name || specifier.startsWith(`${name}/`));
  if (self) return { kind: 'layer', layer: self[1] };
  if (!specifier.startsWith('.')) return { kind: 'external' };
  const abs = path.resolve(path.dirname(file), specifier);
  const inSrc = path.relative(src, abs);
  if (inSrc.startsWith('..') || path.isAbsolute(inSrc))
    return { kind: 'outside', rel: toPosix(path.relative(root, abs)) };
  const rel = toPosix(inSrc);
  const layer = layerOf(rel, layers);
  return layer ? { kind: 'layer', layer } : { kind: 'unknown', rel };
}

function listSources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return listSources(p);
      return SOURCE_EXTENSIONS.some((x) => e.name.endsWith(x)) ? [p] : [];
    })
    .sort();
}

/**
 * Each strongly connected group of more than one node (Tarjan), with one cycle through it
 * that starts and ends at the group's first node in sorted order, so reports are stable.
 */
function cycles(graph: ReadonlyMap<Layer, ReadonlySet<Layer>>): { group: Layer[]; cycle: Layer[] }[] {
  const index = new Map<Layer, number>();
  const low = new Map<Layer, number>();
  const stack: Layer[] = [];
  const onStack = new Set<Layer>();
  const groups: Layer[][] = [];
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((s) => [...s])])].sort();
  const strong = (v: Layer): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: Layer[] = [];
    let w: Layer | undefined;
    do {
      w = stack.pop() as Layer;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1) groups.push(group.sort());
  };
  for (const v of nodes) if (!index.has(v)) strong(v);
  return groups.sort((a, b) => a[0].localeCompare(b[0])).map((group) => ({ group, cycle: pathBack(graph, group) }));
}

/** Shortest path from the group's first node back to itself, inside the group. */
function pathBack(graph: ReadonlyMap<Layer, ReadonlySet<Layer>>, group: readonly Layer[]): Layer[] {
  const start = group[0];
  const prev = new Map<Layer, Layer>();
  const queue: Layer[] = [start];
  while (queue.length > 0) {
    const v = queue.shift() as Layer;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!group.includes(w)) continue;
      if (w === start) {
        const chain: Layer[] = [];
        for (let x = v; x !== start; x = prev.get(x) as Layer) chain.unshift(x);
        return [start, ...chain, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...group, start]; // unreachable for a strongly connected group
}

function where(at: { file: string; line: number; specifier: string }): string {
  return `${at.file}:${at.line} imports '${at.specifier}'`;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..', '..'));
  const table = checkTable();
  const report = checkBoundaries(root);
  for (const p of table) process.stderr.write(`boundaries: table: ${p}\n`);
  for (const v of report.violations) process.stderr.write(`${v.file}:${v.line}: ${v.rule}: ${v.message}\n`);
  const bad = table.length + report.violations.length;
  if (bad > 0) {
    process.stderr.write(`boundaries: ${bad} problem(s) in ${report.files.length} files\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(
      `boundaries: ${report.files.length} files, ${report.crossings} imports across folders, all allowed\n`,
    );
  }
}
