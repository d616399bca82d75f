import type { AppSync } from '../../agent/state/status-store';
import { DeployCommit } from '../deploy-repo';
import { shortSha, timeAgo } from '../format';
import { Html, html } from '../html';
import { ReadProblem } from '../problems';
import { appUrl } from '../routes';
import { readyCondition } from '../state';
import { renderProblem } from './problem';

/** What the sources page shows. */
export interface SourcesData {
  readonly syncs: readonly AppSync[];
  /** Why AppSyncs cannot be read. @default undefined: they can */
  readonly problem?: ReadProblem;
  /** The deploy branch when the UI was given it. @default undefined: not given */
  readonly repo?: {
    readonly url: string;
    readonly branch: string;
    readonly path: string;
    readonly fetchedAt?: string;
    readonly error?: string;
    readonly commits: readonly DeployCommit[];
  };
  /** The time ages are measured from. @default Date.now() */
  readonly now?: number;
}

// Reasons the agent gives when the source, not an app, is at fault.
const SOURCE_REASONS = new Set(['SourceFailed', 'BuildFailed']);

interface Seen {
  readonly revision: string;
  applied: number;
  attempted: number;
  last?: string;
  results: Set<string>;
  envs: Set<string>;
}

function revisions(syncs: readonly AppSync[]): Seen[] {
  const by = new Map<string, Seen>();
  const get = (revision: string) => {
    if (!by.has(revision))
      by.set(revision, { revision, applied: 0, attempted: 0, results: new Set(), envs: new Set() });
    return by.get(revision)!;
  };
  for (const s of syncs) {
    const st = s.status;
    if (st?.lastAppliedRevision) get(st.lastAppliedRevision).applied++;
    if (st?.lastAttemptedRevision) get(st.lastAttemptedRevision).attempted++;
    for (const h of st?.history ?? []) {
      const seen = get(h.revision);
      seen.envs.add(s.spec.env);
      seen.results.add(h.result);
      if (!seen.last || h.startTime > seen.last) seen.last = h.startTime;
    }
  }
  return [...by.values()].sort((a, b) => (b.last ?? '').localeCompare(a.last ?? ''));
}

function trailers(c: DeployCommit): Html {
  const entries = Object.entries(c.trailers);
  if (entries.length === 0) return html`<span class="muted">none</span>`;
  return html`<dl class="summary">${entries.map(([k, vs]) => html`<dt>${k}</dt><dd class="mono">${vs.join(', ')}</dd>`)}</dl>`;
}

/** The live part of the sources page. */
export function renderSourcesLive(d: SourcesData): Html {
  const now = d.now ?? Date.now();
  if (d.problem && d.problem.kind !== 'unreachable') return renderProblem(d.problem, 'The sources page');
  const failing = d.syncs.filter((s) => SOURCE_REASONS.has(readyCondition(s)?.reason ?? ''));
  const seen = revisions(d.syncs);
  const live = new Map(seen.map((s) => [s.revision, s]));
  // Each revision's anchor sits once: on its deploy-branch row if listed, else on its row here.
  const inBranch = new Set(d.repo?.commits.map((c) => c.sha) ?? []);
  const envs = [...new Set(d.syncs.map((s) => s.spec.env))].sort();
  const rewrite = d.syncs
    .map((s) => s.status?.historyRewrite)
    .filter((r) => r !== undefined)
    .sort((a, b) => b.time.localeCompare(a.time))[0];
  return html`<h2>Agent fetch state</h2>
<p>Environments: ${envs.length > 0 ? envs.join(', ') : html`<span class="muted">none yet</span>`}. ${d.syncs.length} apps.</p>
${
  failing.length > 0
    ? html`<div class="problem" role="alert"><p><strong>The agent cannot use its source:</strong> ${readyCondition(failing[0])?.reason}</p><p>${readyCondition(failing[0])?.message}</p><p>${failing.length} app(s) affected; each keeps its last applied revision.</p></div>`
    : html`<p>No source errors reported by the agent.</p>`
}
${rewrite ? html`<p class="panel warn">The deploy branch was rewritten ${timeAgo(rewrite.time, now)}: from <span class="mono">${shortSha(rewrite.from)}</span> to <span class="mono">${shortSha(rewrite.to)}</span>.</p>` : ''}
${
  d.repo
    ? html`<h2>Deploy branch <span class="mono">${d.repo.branch}</span> of <span class="mono">${d.repo.url}</span></h2>
${d.repo.error ? html`<div class="problem" role="alert"><p><strong>This UI cannot fetch the deploy branch:</strong> ${d.repo.error}</p></div>` : html`<p class="muted">Fetched ${timeAgo(d.repo.fetchedAt, now)}.</p>`}
${
  d.repo.commits.length > 0
    ? html`<table><caption>Newest first</caption><thead><tr><th scope="col">Revision</th><th scope="col">Committed</th><th scope="col">Subject</th><th scope="col">Trailers</th><th scope="col">Live</th></tr></thead>
<tbody>${d.repo.commits.map((c) => {
        const s = live.get(c.sha);
        return html`<tr id="rev-${c.sha}"><td class="mono" title="${c.sha}">${shortSha(c.sha)}</td><td>${timeAgo(c.committedAt, now)}</td><td class="msg">${c.subject}</td><td>${trailers(c)}</td><td>${s && s.applied > 0 ? html`<strong>applied by ${s.applied}</strong>` : html`<span class="muted">-</span>`}${s && s.attempted > s.applied ? html` <span>(attempted by ${s.attempted})</span>` : ''}</td></tr>`;
      })}</tbody></table>`
    : ''
}`
    : html`<p class="muted">Start <code>synthops ui</code> with <code>--repo</code> and <code>--branch</code> of the deploy branch to see its history and trailers here.</p>`
}
<h2>Revisions seen by the agent</h2>
${
  seen.length > 0
    ? html`<table><thead><tr><th scope="col">Revision</th><th scope="col">Environments</th><th scope="col">Last reconcile</th><th scope="col">Applied by</th><th scope="col">Attempted by</th><th scope="col">Results</th></tr></thead>
<tbody>${seen.map((s) => html`<tr${inBranch.has(s.revision) ? '' : html` id="rev-${s.revision}"`}><td class="mono" title="${s.revision}">${shortSha(s.revision)}</td><td>${[...s.envs].sort().join(', ')}</td><td>${timeAgo(s.last, now)}</td><td class="num">${s.applied}</td><td class="num">${s.attempted}</td><td>${[...s.results].sort().join(', ')}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No reconcile recorded yet.</p>`
}
${failing.length > 0 ? html`<h2>Apps affected</h2><ul>${failing.map((s) => html`<li><a href="${appUrl(s.metadata.namespace, s.metadata.name)}">${s.spec.app}</a> (${s.spec.env})</li>`)}</ul>` : ''}`;
}
