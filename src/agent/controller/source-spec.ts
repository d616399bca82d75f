import { parseDuration } from '../../model/duration';
import { GitSource, GitSourceReason } from '../../model/gitsource';
import { normalizeSourcePath, normalizeUrl, sourceNameProblem } from '../../model/source';
import { LAYOUT_CHOICES, LayoutChoice } from '../source/render';

/** What a valid GitSource asks for, checked and with its defaults resolved. */
export interface SourceSettings {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly path: string;
  /** @default - the agent's `--layout` */
  readonly layout?: LayoutChoice;
  /** @default - the output's only environment */
  readonly env?: string;
  /** @default - the folder name */
  readonly app?: string;
  /** @default - the agent's `--namespace` */
  readonly targetNamespace?: string;
  /** @default - the agent's `--interval` */
  readonly intervalMs?: number;
  /** `namespace/name`. @default - the agent's own identity */
  readonly serviceAccount?: string;
  /** @default - none */
  readonly secretName?: string;
  readonly dependsOn: readonly string[];
  readonly suspend: boolean;
}

/** A GitSource the agent cannot run as it is, and why. */
export interface SpecProblem {
  readonly reason: Extract<GitSourceReason, 'InvalidSpec'>;
  readonly message: string;
}

/** The settings of a GitSource, or what is wrong with it (pure: no cluster). */
export function sourceSettings(gs: GitSource): SourceSettings | SpecProblem {
  const name = gs.metadata.name;
  const spec = gs.spec ?? ({} as GitSource['spec']);
  const bad = (message: string): SpecProblem => ({ reason: 'InvalidSpec', message });
  const nameProblem = sourceNameProblem(name);
  if (nameProblem) return bad(nameProblem);
  if (!spec.url) return bad('spec.url is required');
  if (!spec.branch) return bad('spec.branch is required');
  if (spec.layout !== undefined && !LAYOUT_CHOICES.includes(spec.layout as LayoutChoice))
    return bad(`spec.layout: "${spec.layout}" is not one of ${LAYOUT_CHOICES.join(', ')}`);
  let intervalMs: number | undefined;
  if (spec.interval !== undefined) {
    try {
      intervalMs = parseDuration(spec.interval);
      if (intervalMs <= 0) return bad(`spec.interval: "${spec.interval}" must be positive`);
    } catch (e) {
      return bad(`spec.interval: ${(e as Error).message}`);
    }
  }
  let serviceAccount: string | undefined;
  if (spec.serviceAccountName) {
    if (spec.serviceAccountName.includes('/')) serviceAccount = spec.serviceAccountName;
    else if (spec.targetNamespace) serviceAccount = `${spec.targetNamespace}/${spec.serviceAccountName}`;
    else return bad('spec.serviceAccountName: give namespace/name, or set spec.targetNamespace');
  }
  const dependsOn = [...new Set(spec.dependsOn ?? [])];
  if (dependsOn.includes(name)) return bad('spec.dependsOn names the source itself');
  return {
    name,
    url: spec.url,
    branch: spec.branch,
    path: normalizeSourcePath(spec.path),
    layout: spec.layout as LayoutChoice | undefined,
    env: spec.env,
    app: spec.app,
    targetNamespace: spec.targetNamespace,
    intervalMs,
    serviceAccount,
    secretName: spec.secretRef?.name,
    dependsOn,
    suspend: spec.suspend === true,
  };
}

/** Whether the value is a {@link SpecProblem}. */
export function isSpecProblem(x: SourceSettings | SpecProblem): x is SpecProblem {
  return 'reason' in x;
}

/**
 * The repository URLs a push webhook names (GitHub, Gitea and GitLab payloads),
 * normalised; none when the body is not such JSON.
 */
export function webhookRepositories(body: Buffer): Set<string> {
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return new Set();
  }
  const repo = (payload as { repository?: Record<string, unknown>; project?: Record<string, unknown> } | null)
    ?.repository;
  const project = (payload as { project?: Record<string, unknown> } | null)?.project;
  const keys = ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url', 'git_http_url', 'git_ssh_url', 'web_url'];
  const urls = new Set<string>();
  for (const o of [repo, project])
    for (const k of keys) {
      const v = o?.[k];
      if (typeof v === 'string' && v) urls.add(repositoryKey(v));
    }
  return urls;
}

/**
 * One key per repository, whatever its URL's form: no credentials, scheme, `.git`
 * or trailing slash, `host/path` in lower case (`git@host:o/r` and
 * `https://host/o/r` match).
 */
export function repositoryKey(url: string): string {
  const u = normalizeUrl(url);
  const scp = /^[^/@:]+@([^:/]+):(.*)$/.exec(u);
  if (scp) return `${scp[1]}/${scp[2]}`.toLowerCase();
  return u
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/^[^/@]*@/, '')
    .replace(/^([^/:]+):\d+\//, '$1/')
    .toLowerCase();
}
