/**
 * What each notification format sends: pure functions from an alert or an app's sync
 * state to one HTTP request (URL, headers, JSON body). Delivery is in notify.ts.
 */
import { TemplateValues, renderTemplate } from './notify-template';

/** What the agent alerts on. */
export type NotificationKind =
  | 'ReconcileFailed'
  | 'PruneHeld'
  | 'HealthDegraded'
  | 'DriftRepaired'
  | 'SourceFailed'
  | 'HistoryRewritten';

/** One alert. */
export interface Notification {
  readonly kind: NotificationKind;
  /** App the alert is about. @default - none: the alert is not about one app */
  readonly app?: string;
  /** Environment of that app. @default - none: the alert is not about one app */
  readonly env?: string;
  /** Commit sha the alert is about. @default - none: no revision was fetched */
  readonly revision?: string;
  /** The deploy commit's `Source-Commit` trailer. @default - none: not recorded */
  readonly sourceCommit?: string;
  /** The deploy commit's `Source-Repo` trailer. @default - none: not recorded */
  readonly sourceRepo?: string;
  /** The deploy repo of the source that fetched it (an agent runs several). @default - the notifier's `deployRepo` */
  readonly deployRepo?: string;
  readonly message: string;
}

/** Where an app stands at a deploy commit, for commit statuses on the forge. */
export interface SyncReport {
  readonly app: string;
  readonly env: string;
  /** The deploy commit. */
  readonly revision: string;
  /** Its Ready reason (`ReconciliationSucceeded`, `Progressing`, `HealthCheckFailed`, ...). */
  readonly reason: string;
  readonly message: string;
  /** The deploy commit's `Source-Commit` trailer. @default - none: the status goes on the deploy commit */
  readonly sourceCommit?: string;
  /** The deploy commit's `Source-Repo` trailer. @default - none */
  readonly sourceRepo?: string;
  /** The deploy repo of the source that fetched it (an agent runs several). @default - the notifier's `deployRepo` */
  readonly deployRepo?: string;
}

/**
 * Payload formats: synthops JSON, Slack-compatible `{ text }`, a Microsoft Teams
 * Adaptive Card, a Discord webhook message, or a commit status on a GitHub- or
 * GitLab-compatible forge.
 */
export type NotifyFormat = 'json' | 'slack' | 'msteams' | 'discord' | 'github' | 'gitlab';

/** Every {@link NotifyFormat}, for flag checks and help. */
export const NOTIFY_FORMATS: readonly NotifyFormat[] = ['json', 'slack', 'msteams', 'discord', 'github', 'gitlab'];

/** Whether `format` posts commit statuses (apps' sync state) rather than alerts. */
export function isForge(format: NotifyFormat): format is 'github' | 'gitlab' {
  return format === 'github' || format === 'gitlab';
}

/** How notifications are addressed and worded. */
export interface NotifySettings {
  /** The webhook URL; for github/gitlab the API base (`https://api.github.com`, `https://gitlab.example.com`). */
  readonly url: string;
  readonly format: NotifyFormat;
  /** Message template with `{{app}}`-style placeholders, checked beforehand. @default - the built-in wording */
  readonly template?: string;
  /** API token of github/gitlab. @default - none: no auth header */
  readonly token?: string;
  /** Forge repo path (`owner/name`, `group/sub/name`). @default - derived from the Source-Repo trailer, else from `deployRepo` */
  readonly repo?: string;
  /** The deploy repo URL (`--repo`): where the deploy commit lives. @default - none */
  readonly deployRepo?: string;
}

/** One HTTP POST. */
export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A commit status request, with the key that orders and deduplicates the updates of one status. */
export interface StatusRequest extends OutgoingRequest {
  /** `<repo>@<sha>#<context>`: updates of one key are sent in order and a repeat is skipped. */
  readonly key: string;
  /** The forge state: a key's update in the state last sent is skipped (GitLab refuses a repeat). */
  readonly fingerprint: string;
}

/** A forge-neutral commit state. */
export type CommitState = 'waiting' | 'progressing' | 'success' | 'failure' | 'error';

/**
 * The commit state of an app's Ready reason: success once converged, pending while
 * applying or waiting, failure when the app is unhealthy or a prune is held, error when
 * the agent could not apply it. @default - undefined for a suspended app: no status
 */
export function commitStateOf(reason: string): CommitState | undefined {
  switch (reason) {
    case 'ReconciliationSucceeded':
      return 'success';
    case 'Progressing':
      return 'progressing';
    case 'DependencyNotReady':
      return 'waiting';
    case 'HealthCheckFailed':
    case 'PruneHeld':
      return 'failure';
    case 'Suspended':
      return undefined;
    default:
      return 'error';
  }
}

const GITHUB_STATE: Record<CommitState, string> = {
  waiting: 'pending',
  progressing: 'pending',
  success: 'success',
  failure: 'failure',
  error: 'error',
};
const GITLAB_STATE: Record<CommitState, string> = {
  waiting: 'pending',
  progressing: 'running',
  success: 'success',
  failure: 'failed',
  error: 'failed',
};

/** GitHub caps a status description at 140 characters. */
const DESCRIPTION_MAX = 140;
const DISCORD_CONTENT_MAX = 2000;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function valuesOf(x: {
  app?: string;
  env?: string;
  revision?: string;
  reason: string;
  message: string;
}): TemplateValues {
  return { app: x.app, env: x.env, revision: x.revision?.slice(0, 12), reason: x.reason, message: x.message };
}

/** The built-in wording: `synthops <kind> (app a, env e, revision r): message`. */
function defaultText(v: TemplateValues): string {
  const where = [v.app && `app ${v.app}`, v.env && `env ${v.env}`, v.revision && `revision ${v.revision}`]
    .filter(Boolean)
    .join(', ');
  return `synthops ${v.reason}${where ? ` (${where})` : ''}: ${v.message}`;
}

function textOf(v: TemplateValues, template: string | undefined): string {
  return template === undefined ? defaultText(v) : renderTemplate(template, v);
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function facts(n: Notification): Array<{ name: string; value: string }> {
  return [
    n.app && { name: 'app', value: n.app },
    n.env && { name: 'env', value: n.env },
    n.revision && { name: 'revision', value: n.revision.slice(0, 12) },
  ].filter((f): f is { name: string; value: string } => Boolean(f));
}

/** An alert that is not a problem: chat formats show it in a calm colour. */
function isInfo(kind: NotificationKind): boolean {
  return kind === 'DriftRepaired';
}

/** The request of an alert for a chat or JSON format. @default - undefined for github/gitlab, which post statuses */
export function alertRequest(n: Notification, s: NotifySettings, now: Date): OutgoingRequest | undefined {
  const v = valuesOf({ ...n, reason: n.kind });
  const text = textOf(v, s.template);
  const post = (body: unknown): OutgoingRequest => ({ url: s.url, headers: JSON_HEADERS, body: JSON.stringify(body) });
  switch (s.format) {
    case 'json':
      // The event as it is; `text` only when a template asks for a wording.
      return post({
        source: 'synthops',
        ...n,
        ...(s.template === undefined ? {} : { text }),
        time: now.toISOString(),
      });
    case 'slack':
      return post({ text });
    case 'msteams':
      // Workflows ("Post to a channel when a webhook request is received") and
      // incoming webhooks both take a message with one Adaptive Card attachment.
      return post({
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            contentUrl: null,
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                {
                  type: 'TextBlock',
                  text: `synthops ${n.kind}`,
                  weight: 'Bolder',
                  size: 'Medium',
                  color: isInfo(n.kind) ? 'Good' : 'Attention',
                  wrap: true,
                },
                { type: 'TextBlock', text, wrap: true },
                ...(facts(n).length > 0
                  ? [{ type: 'FactSet', facts: facts(n).map((f) => ({ title: f.name, value: f.value })) }]
                  : []),
              ],
            },
          },
        ],
      });
    case 'discord':
      return post({
        username: 'synthops',
        content: clip(text, DISCORD_CONTENT_MAX),
        embeds: [
          {
            title: `synthops ${n.kind}`,
            color: isInfo(n.kind) ? 0x2eb67d : 0xe01e5a,
            fields: facts(n).map((f) => ({ ...f, inline: true })),
          },
        ],
      });
    case 'github':
    case 'gitlab':
      return undefined;
  }
}

/**
 * The forge repo path (`owner/name`) of a repo URL: https://, ssh:// or scp-like
 * `git@host:owner/name.git`. @default - undefined for file:// URLs and local paths
 */
export function forgeRepoPath(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let p: string | undefined;
  const scp = /^[^/@:]+@[^/:]+:(.+)$/.exec(url);
  if (scp) p = scp[1];
  else {
    try {
      const u = new URL(url);
      if (!['https:', 'http:', 'ssh:', 'git:'].includes(u.protocol)) return undefined;
      p = decodeURIComponent(u.pathname);
    } catch {
      return undefined;
    }
  }
  const path = p
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return path.includes('/') ? path : undefined;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The commit a status goes on and its repo: the source commit when the trailers name it, else the deploy commit. */
export function statusTarget(
  r: Pick<SyncReport, 'revision' | 'sourceCommit' | 'sourceRepo' | 'deployRepo'>,
  s: Pick<NotifySettings, 'repo' | 'deployRepo'>,
): { sha: string; repo: string } | undefined {
  const onSource = r.sourceCommit !== undefined && SHA.test(r.sourceCommit);
  const sha = onSource ? r.sourceCommit! : r.revision;
  const repo = s.repo ?? forgeRepoPath(onSource ? r.sourceRepo : (r.deployRepo ?? s.deployRepo));
  return repo ? { sha, repo } : undefined;
}

/**
 * The commit status request of an app's sync state (context `synthops/<env>/<app>`:
 * agents of several environments report on one source commit side by side), or of a
 * revision that could not be loaded at all (`app` absent: context `synthops/<env>`).
 * @default - undefined: not a forge format, a suspended app, or no repo to post to
 */
export function statusRequest(
  r: Omit<SyncReport, 'app' | 'env'> & { app?: string; env?: string },
  s: NotifySettings,
): StatusRequest | undefined {
  if (!isForge(s.format)) return undefined;
  const state = commitStateOf(r.reason);
  const target = statusTarget(r, s);
  if (!state || !target) return undefined;
  const context = ['synthops', r.env, r.app].filter((p) => p).join('/');
  const description = clip(
    s.template === undefined ? r.message : renderTemplate(s.template, valuesOf(r)),
    DESCRIPTION_MAX,
  );
  const base = s.url.replace(/\/+$/, '');
  const token = s.token ?? '';
  const key = `${target.repo}@${target.sha}#${context}`;
  if (s.format === 'github') {
    const forgeState = GITHUB_STATE[state];
    return {
      key,
      fingerprint: forgeState,
      url: `${base}/repos/${target.repo}/statuses/${target.sha}`,
      headers: {
        ...JSON_HEADERS,
        Accept: 'application/vnd.github+json',
        'User-Agent': 'synthops',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ state: forgeState, context, description }),
    };
  }
  const forgeState = GITLAB_STATE[state];
  return {
    key,
    fingerprint: forgeState,
    url: `${base}/api/v4/projects/${encodeURIComponent(target.repo)}/statuses/${target.sha}`,
    headers: { ...JSON_HEADERS, ...(token ? { 'PRIVATE-TOKEN': token } : {}) },
    body: JSON.stringify({ state: forgeState, name: context, description }),
  };
}
