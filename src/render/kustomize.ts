/**
 * `kustomize build` of a folder of the repo checkout, safe by default as Flux's
 * kustomize-controller is: files only below their kustomization
 * (`--load-restrictor LoadRestrictionsRootOnly`), bases only from the same repo, no
 * plugins or KRM functions, no chart inflation, no remote bases unless the source allows
 * them (see kustomize-check.ts). The output is the YAML stream kustomize prints.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RepoRoot } from './confine';
import { KustomizeRefusal, checkKustomization, kustomizationFile } from './kustomize-check';
import { RenderError, RenderLimits, RenderLocation, RenderOutput, runTool, stderrWarnings } from './run';
import { Tool, findTool } from './tools';

/** Settings of a kustomize source. */
export interface KustomizeSettings {
  /**
   * Let `resources`/`bases`/`components` name remote Git or http(s) bases, fetched at
   * render time (PATH and the proxy variables are then passed to kustomize).
   * @default false
   */
  readonly allowRemoteBases?: boolean;
}

/** Options of {@link kustomizeBuild}. */
export interface KustomizeBuildOptions extends KustomizeSettings {
  /** The repo checkout: nothing outside it is read. */
  readonly repoRoot: string;
  /** The folder with the kustomization, relative to {@link repoRoot}. */
  readonly path: string;
  /** @default - {@link DEFAULT_RENDER_TIMEOUT_MS} and {@link DEFAULT_RENDER_MAX_OUTPUT_BYTES} */
  readonly limits?: RenderLimits;
  /** @default - findTool('kustomize') */
  readonly tool?: Tool;
}

/** The flags of every build: see the module comment. */
export const KUSTOMIZE_SAFE_FLAGS = [
  '--load-restrictor',
  'LoadRestrictionsRootOnly',
  '--enable-alpha-plugins=false',
  '--enable-exec=false',
  '--enable-helm=false',
  '--network=false',
] as const;

/** Renders the kustomization at `path`; a refusal or a failing build is a {@link RenderError}. */
export function kustomizeBuild(o: KustomizeBuildOptions): RenderOutput {
  const tool = { ...(o.tool ?? findTool('kustomize')), name: 'kustomize' as const };
  const root = new RepoRoot(o.repoRoot);
  const dir = path.resolve(o.repoRoot, o.path);
  const subject = root.relative(dir);
  const refusals = checkKustomization(root, dir, { allowRemoteBases: o.allowRemoteBases });
  if (refusals.length > 0) throw refusalError(tool, subject, refusals);
  const { stdout, stderr } = runTool({
    tool,
    args: ['build', dir, ...KUSTOMIZE_SAFE_FLAGS],
    cwd: o.repoRoot,
    subject,
    network: o.allowRemoteBases,
    limits: o.limits,
    locate: (message) => locateKustomizeError(message, root, dir),
  });
  return {
    text: stdout,
    renderedBy: { tool: tool.name, version: tool.version, path: tool.path },
    warnings: stderrWarnings(stderr),
  };
}

/** One error for every refusal, located at the first. */
function refusalError(
  tool: Tool & { readonly name: 'kustomize' },
  subject: string,
  refusals: readonly KustomizeRefusal[],
): RenderError {
  const text = refusals.map((r) => `${r.file}${r.line ? `:${r.line}` : ''}: ${r.message}`).join('\n');
  return new RenderError(
    tool,
    'refused',
    subject,
    text,
    { file: refusals[0].file, line: refusals[0].line },
    refusals[0].kind,
  );
}

/**
 * The file (and line) a kustomize error is about. kustomize names the folder of each
 * kustomization it descends into (`recursed accumulation of path '<dir>'`,
 * `couldn't make target for path '<dir>'`), a resource
 * file with a YAML error (`in File: <name>`), the entry it failed on
 * (`accumulating resources from '<entry>'`) and YAML lines (`yaml: line N`); the line of
 * an entry is looked up in the kustomization that lists it.
 */
export function locateKustomizeError(message: string, root: RepoRoot, buildDir: string): RenderLocation {
  let dir = buildDir;
  for (const m of message.matchAll(/(?:couldn't make target for path|recursed accumulation of path) '([^']+)'/g))
    dir = m[1];
  const kustomization = kustomizationFile(dir);
  const yamlLine = /yaml: line (\d+)/.exec(message);
  const inFile = /in File: ([^\s']+)/.exec(message);
  if (inFile) {
    return { file: root.relative(path.resolve(dir, inFile[1])), line: yamlLine ? Number(yamlLine[1]) : undefined };
  }
  if (!kustomization) return { file: root.relative(dir) };
  const file = root.relative(kustomization);
  if (/invalid Kustomization/.test(message) && yamlLine) return { file, line: Number(yamlLine[1]) };
  // The last entry named is the one that failed; find the line that lists it.
  const entries = [
    ...message.matchAll(/accumulating resources from '([^']+)'|from path\(([^)]+)\)|path '([^']+)'/g),
  ].map((m) => m[1] ?? m[2] ?? m[3]);
  const entry = entries.reverse().find((e) => !path.isAbsolute(e));
  return { file, line: entry ? lineListing(kustomization, entry) : undefined };
}

function lineListing(file: string, entry: string): number | undefined {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const quoted = entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[\\s:-])["']?${quoted}["']?\\s*(#.*)?$`);
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 ? i + 1 : undefined;
}
