/**
 * Runs a render tool (kustomize, helm) on a config repo the agent does not trust: with a
 * time limit, an output size limit and a minimal environment. The environment holds
 * only HOME and TMPDIR (a fresh folder) and what the caller adds, so the operator's
 * proxies, Git credentials, kubeconfig and the tools' own config never reach a render;
 * PATH and the proxy/TLS variables are passed only when the source allows network
 * access (kustomize runs `git` for remote bases). Synchronous on purpose: loading a
 * revision is synchronous, and the limits bound how long a render can block.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SynthopsError } from '../model/errors';
import { Tool } from './tools';

/** The tools that render manifests. */
export type RenderToolName = 'kustomize' | 'helm';

/** What a render produced. */
export interface RenderOutput {
  /** The YAML stream the tool printed. */
  readonly text: string;
  readonly renderedBy: RenderedBy;
  /** What the tool printed on stderr while succeeding (deprecation notices), one entry per line. */
  readonly warnings: readonly string[];
}

/** Non-empty stderr lines of a successful run. */
export function stderrWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Bounds of one render. */
export interface RenderLimits {
  /**
   * Kill the tool after this long.
   * @default 60000
   */
  readonly timeoutMs?: number;
  /**
   * Kill the tool when it prints more than this many bytes (on stdout or stderr).
   * @default 67108864 (64 MiB)
   */
  readonly maxOutputBytes?: number;
}

/** Default of {@link RenderLimits.timeoutMs}. */
export const DEFAULT_RENDER_TIMEOUT_MS = 60_000;
/** Default of {@link RenderLimits.maxOutputBytes}. */
export const DEFAULT_RENDER_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Which binary rendered a revision: said in the load result, the report and the log. */
export interface RenderedBy {
  readonly tool: RenderToolName;
  /** What the binary reports, e.g. `v5.8.1`. */
  readonly version: string;
  /** Absolute path of the binary. */
  readonly path: string;
}

/**
 * Why a render failed: `failed` (the tool exited non-zero), `timeout`, `output-limit`,
 * `refused` (synthops refused the input before or after running the tool: a remote
 * base, an exec plugin, a path outside the repo, a Helm hook), `start` (the binary
 * could not be run).
 */
export type RenderFailure = 'failed' | 'timeout' | 'output-limit' | 'refused' | 'start';

/**
 * What a `refused` render was refused for: `remote` (a remote base or file the source
 * does not allow), `outside-repo` (a path outside the repo checkout), `plugin` (a KRM
 * function or kustomize plugin), `helm-inflator` (kustomize's helmCharts), `helm-hook`
 * (a Helm hook the source does not skip).
 */
export type RenderRefusal = 'remote' | 'outside-repo' | 'plugin' | 'helm-inflator' | 'helm-hook';

/** Where in the repo a render failure is, when the tool (or the refusal) names it. */
export interface RenderLocation {
  /** File relative to the repo checkout root. @default - not named by the tool */
  readonly file?: string;
  /** Line in that file, from 1. @default - not named by the tool */
  readonly line?: number;
}

/** A render failed; the revision is rejected before any request to the cluster. */
export class RenderError extends SynthopsError {
  public readonly tool: RenderToolName;
  /** The tool's version (`v5.8.1`). */
  public readonly version: string;
  public readonly binary: string;
  public readonly reason: RenderFailure;
  /** What was rendered: the source folder, relative to the repo checkout root. */
  public readonly subject: string;
  /** The file the failure is in, relative to the repo root. @default - not known */
  public readonly file?: string;
  /** The line in {@link file}, from 1. @default - not known */
  public readonly line?: number;
  /** The tool's own message, whole (or synthops' reason for a refusal). */
  public readonly toolMessage: string;
  /** What a `refused` render was refused for. @default - none: the render was not refused */
  public readonly refusal?: RenderRefusal;

  constructor(
    tool: Tool & { readonly name: RenderToolName },
    reason: RenderFailure,
    subject: string,
    toolMessage: string,
    where: RenderLocation = {},
    refusal?: RenderRefusal,
  ) {
    const at = where.file ? ` (${where.file}${where.line ? `, line ${where.line}` : ''})` : '';
    const what =
      reason === 'refused'
        ? 'refused'
        : reason === 'timeout'
          ? 'timed out'
          : reason === 'output-limit'
            ? 'exceeded the output limit'
            : 'failed';
    super(
      `${tool.name} ${tool.version} (${tool.path}) ${what} for ${subject}${at}:\n    ${toolMessage.trimEnd().split('\n').join('\n    ')}`,
    );
    this.tool = tool.name;
    this.version = tool.version;
    this.binary = tool.path;
    this.reason = reason;
    this.subject = subject;
    this.file = where.file;
    this.line = where.line;
    this.toolMessage = toolMessage;
    this.refusal = refusal;
  }
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  readonly tool: Tool & { readonly name: RenderToolName };
  readonly args: readonly string[];
  readonly cwd: string;
  /** What is rendered, for messages (the source folder relative to the repo root). */
  readonly subject: string;
  /**
   * HOME and TMPDIR of the tool.
   * @default - a fresh temporary folder, removed afterwards
   */
  readonly home?: string;
  /**
   * Variables the tool needs (helm's HELM_*_HOME), on top of the minimal environment.
   * @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Pass PATH and the proxy and TLS variables of this process, for a source that allows
   * remote bases.
   * @default false
   */
  readonly network?: boolean;
  /** @default - {@link DEFAULT_RENDER_TIMEOUT_MS} and {@link DEFAULT_RENDER_MAX_OUTPUT_BYTES} */
  readonly limits?: RenderLimits;
  /**
   * Reads the file and line out of the tool's error message.
   * @default - no location
   */
  readonly locate?: (message: string) => RenderLocation;
}

// Only with network access: git (for kustomize's remote bases) must be found, and the
// operator's proxy and CA settings apply. Credentials (GIT_*, SSH_*) never do.
const NETWORK_VARS = [
  'PATH',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** The environment a tool runs with (see the module comment). */
export function toolEnvironment(
  home: string,
  extra: Readonly<Record<string, string>> = {},
  network = false,
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = { HOME: home, TMPDIR: home, LANG: 'C', LC_ALL: 'C' };
  if (network) for (const k of NETWORK_VARS) if (from[k] !== undefined) env[k] = from[k]!;
  return { ...env, ...extra };
}

/** What a successful run printed. */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the tool; any failure (exit code, limit, start) is a {@link RenderError}. */
export function runTool(o: RunToolOptions): ToolOutput {
  const timeout = o.limits?.timeoutMs ?? DEFAULT_RENDER_TIMEOUT_MS;
  const maxBuffer = o.limits?.maxOutputBytes ?? DEFAULT_RENDER_MAX_OUTPUT_BYTES;
  const home = o.home ?? fs.mkdtempSync(path.join(os.tmpdir(), `synthops-${o.tool.name}-`));
  try {
    const r = spawnSync(o.tool.path, [...o.args], {
      cwd: o.cwd,
      env: toolEnvironment(home, o.env, o.network),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout,
      maxBuffer,
      // A tool that ignores SIGTERM must not outlive its limit.
      killSignal: 'SIGKILL',
      windowsHide: true,
    });
    const stderr = r.stderr?.toString('utf8') ?? '';
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ETIMEDOUT')
      throw new RenderError(
        o.tool,
        'timeout',
        o.subject,
        `killed after ${timeout} ms (the render time limit)${stderr ? `; it had printed:\n${stderr}` : ''}`,
      );
    if (code === 'ENOBUFS')
      throw new RenderError(
        o.tool,
        'output-limit',
        o.subject,
        `killed after printing more than ${maxBuffer} bytes (the render output limit)`,
      );
    if (r.error) throw new RenderError(o.tool, 'start', o.subject, r.error.message);
    if (r.status !== 0) {
      const message = stderr.trim() || `exit code ${r.status ?? `signal ${r.signal}`} and no message`;
      throw new RenderError(o.tool, 'failed', o.subject, message, o.locate?.(message) ?? {});
    }
    return { stdout: r.stdout.toString('utf8'), stderr };
  } finally {
    if (!o.home) fs.rmSync(home, { recursive: true, force: true });
  }
}
