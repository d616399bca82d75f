/**
 * Locates the external tools synthops renders and decrypts with (kustomize, helm,
 * sops, age) and reads each one's version once. Resolution order, per tool:
 *
 * 1. `SYNTHOPS_<NAME>` (e.g. `SYNTHOPS_HELM`): an explicit binary. When set it must
 *    be usable; it never falls back, so a typo cannot silently pick another binary.
 * 2. The versioned build cache of `npm run tools:build` (test/tools/build.sh):
 *    `${SYNTHOPS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/synthops/tools}/<key>/bin`.
 * 3. `/usr/local/bin/<name>`, where the container image installs them.
 *
 * `PATH` is never searched: a tool of another version would render different YAML.
 * Synchronous on purpose: cdk8s app code (where rendering happens) is synchronous.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SynthopsError } from '../model/errors';

/** A tool synthops can locate. `age-keygen` ships with age and shares its version. */
export type ToolName = 'kustomize' | 'helm' | 'sops' | 'age' | 'age-keygen';

/**
 * The pinned versions; must match test/tools/versions.sh (a unit test checks), since
 * they name the cache folder build.sh writes.
 */
export const TOOL_VERSIONS = {
  kustomize: 'v5.8.1',
  helm: 'v4.3.2',
  sops: 'v3.13.3',
  age: 'v1.3.2',
} as const;

/** The version each tool should report when it is the pinned build. */
export function pinnedVersion(name: ToolName): string {
  return name === 'age-keygen' ? TOOL_VERSIONS.age : TOOL_VERSIONS[name];
}

/** A located tool. */
export interface Tool {
  readonly name: ToolName;
  /** Absolute path of the binary. */
  readonly path: string;
  /** What the binary reports, normalised to `vX.Y.Z[...]` (e.g. `v4.3.2`). */
  readonly version: string;
}

/** Options of {@link findTool}. */
export interface FindToolOptions {
  /**
   * Environment the overrides and the cache location are read from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
}

/** Where the container image installs the tools. */
export const IMAGE_BIN_DIR = '/usr/local/bin';

/** One place {@link findTool} looked, and why it was not used. */
export interface ToolCandidate {
  /** What the place is: the env var's name, `cache` or `image`. */
  readonly source: string;
  readonly path: string;
  readonly problem: 'missing' | 'not an executable file';
}

/** No usable binary for a tool; `searched` lists every place tried, in order. */
export class ToolNotFoundError extends SynthopsError {
  public readonly tool: ToolName;
  public readonly searched: readonly ToolCandidate[];

  constructor(tool: ToolName, searched: readonly ToolCandidate[]) {
    const where = searched.map((c) => `${c.path} (${c.source}: ${c.problem})`).join(', ');
    super(
      `${tool} not found: looked at ${where}. Run \`npm run tools:build\` to build the pinned tools, or set ${envVarOf(tool)} to a ${tool} binary.`,
    );
    this.tool = tool;
    this.searched = searched;
  }
}

/** The binary was found but running it for its version failed or printed no version. */
export class ToolVersionError extends SynthopsError {
  public readonly tool: ToolName;
  public readonly path: string;

  constructor(tool: ToolName, file: string, detail: string) {
    super(`${tool} at ${file}: could not read its version: ${detail}`);
    this.tool = tool;
    this.path = file;
  }
}

/** The override variable of a tool: `SYNTHOPS_HELM`, `SYNTHOPS_AGE_KEYGEN`, ... */
export function envVarOf(name: ToolName): string {
  return `SYNTHOPS_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The cache folder build.sh fills; the same formula as there (empty variables count as unset, as with `:-`). */
export function toolsBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  const root = env.SYNTHOPS_TOOLS_CACHE || path.join(cacheHome, 'synthops', 'tools');
  const v = TOOL_VERSIONS;
  return path.join(root, `kustomize-${v.kustomize}-helm-${v.helm}-sops-${v.sops}-age-${v.age}`, 'bin');
}

const VERSION_ARGS: Record<ToolName, readonly string[]> = {
  kustomize: ['version'],
  helm: ['version', '--short'],
  // Without the flag sops asks GitHub for the latest release.
  sops: ['--disable-version-check', '--version'],
  age: ['--version'],
  'age-keygen': ['--version'],
};

/**
 * True when `file args` is how {@link findTool} asks a tool for its version: the synth
 * cache lets that run through, as the version is an input it records.
 */
export function isVersionQuery(file: string, args: readonly unknown[]): boolean {
  const name = path.basename(file) as ToolName;
  const expected = Object.hasOwn(VERSION_ARGS, name) ? VERSION_ARGS[name] : undefined;
  return expected !== undefined && args.length === expected.length && expected.every((a, i) => args[i] === a);
}

// Binary path -> its version: each binary is run once per process.
const versions = new Map<string, string>();

/** Locates `name` (see the module comment for the order) and returns it with its version. */
export function findTool(name: ToolName, options: FindToolOptions = {}): Tool {
  const env = options.env ?? process.env;
  const file = locate(name, env);
  return { name, path: file, version: versionOf(name, file) };
}

function locate(name: ToolName, env: NodeJS.ProcessEnv): string {
  const override = env[envVarOf(name)];
  const candidates = override
    ? [{ source: envVarOf(name), path: path.resolve(override) }]
    : [
        { source: 'cache', path: path.join(toolsBinDir(env), name) },
        { source: 'image', path: path.join(IMAGE_BIN_DIR, name) },
      ];
  const searched: ToolCandidate[] = [];
  for (const c of candidates) {
    const problem = checkExecutable(c.path);
    if (problem === undefined) return c.path;
    searched.push({ ...c, problem });
  }
  throw new ToolNotFoundError(name, searched);
}

function checkExecutable(file: string): ToolCandidate['problem'] | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 'missing';
  }
  if (!stat.isFile()) return 'not an executable file';
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return undefined;
  } catch {
    return 'not an executable file';
  }
}

function versionOf(name: ToolName, file: string): string {
  const known = versions.get(file);
  if (known !== undefined) return known;
  let out: string;
  try {
    // A version query is instant; the timeout only guards against a wrong binary that waits on stdin.
    out = execFileSync(file, [...VERSION_ARGS[name]], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
  } catch (e) {
    const err = e as { stderr?: string; status?: number | null; message: string };
    throw new ToolVersionError(
      name,
      file,
      err.stderr?.trim() || (err.status != null ? `exit code ${err.status}` : err.message),
    );
  }
  const version = parseVersion(out);
  if (version === undefined)
    throw new ToolVersionError(name, file, `no version in its output ${JSON.stringify(out.trim().slice(0, 200))}`);
  versions.set(file, version);
  return version;
}

/** The first `X.Y.Z[-pre][+meta]` in a tool's version output, with a leading `v` (sops prints none). */
export function parseVersion(output: string): string | undefined {
  const m = /(?:^|[^\w.])v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)/.exec(output);
  return m ? `v${m[1]}` : undefined;
}
