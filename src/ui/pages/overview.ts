import type { AppSync } from '../../agent/state/status-store';
import { seconds, shortSha, timeAgo } from '../format';
import { Html, html } from '../html';
import { Overview, OverviewFilter, OverviewRow, PAGE_SIZE, filterQuery, pageOf } from '../overview-model';
import { ReadProblem } from '../problems';
import { appUrl, revisionUrl } from '../routes';
import { STATES, STATE_LABELS, UiState } from '../state';
import { renderProblem } from './problem';

/** A state as a badge: text and colour, never colour alone. */
export function stateBadge(state: UiState): Html {
  return html`<span class="badge s-${state}">${STATE_LABELS[state]}</span>`;
}

/** The filter form: a plain GET form, so filtering and search work without JavaScript. */
export function renderFilterForm(filter: OverviewFilter, envs: readonly string[]): Html {
  const opt = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}"${selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filter" method="get" action="/" role="search" aria-label="Filter apps">
<div class="field"><label for="f-q">Search</label><input id="f-q" type="search" name="q" value="${filter.q}" placeholder="app, message, revision"></div>
<div class="field"><label for="f-state">State</label><select id="f-state" name="state">${opt('', 'All states', !filter.state)}${STATES.map((s) => opt(s, STATE_LABELS[s], filter.state === s))}</select></div>
<div class="field"><label for="f-env">Environment</label><select id="f-env" name="env">${opt('', 'All environments', !filter.env)}${envs.map((e) => opt(e, e, filter.env === e))}</select></div>
<button type="submit">Apply</button>
${filter.q || filter.state || filter.env ? html`<a href="/">Clear</a>` : ''}
</form>`;
}

function row(r: OverviewRow, now: number): Html {
  const s: AppSync = r.sync;
  const st = s.status;
  const rev = st?.lastAppliedRevision;
  // One line per row: whitespace between cells would be 9000 more text nodes at 1000 apps.
  return html`<tr data-app="${s.metadata.name}" data-state="${r.state}"><td><a href="${appUrl(s.metadata.namespace, s.metadata.name)}">${s.spec.app}</a></td><td>${s.spec.env}</td><td>${stateBadge(r.state)}</td><td>${r.reason}</td><td class="msg">${r.message}</td><td class="mono">${rev ? html`<a href="${revisionUrl(rev)}">${shortSha(rev)}</a>` : html`<span class="muted">-</span>`}</td><td>${timeAgo(st?.lastSyncTime, now)}</td><td class="num">${seconds(st?.commitToConvergedSeconds)}</td></tr>
`;
}

/** Revisions live across the apps, most used first: the sources line of the overview. */
function sources(syncs: readonly AppSync[]): Html {
  const revs = new Map<string, number>();
  for (const s of syncs) {
    const rev = s.status?.lastAppliedRevision;
    if (rev) revs.set(rev, (revs.get(rev) ?? 0) + 1);
  }
  if (revs.size === 0) return html``;
  const top = [...revs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return html`<p class="sources">Deploy revisions live: ${top.map(([rev, n], i) => html`${i > 0 ? ', ' : ''}<a class="mono" href="${revisionUrl(rev)}">${shortSha(rev)}</a> (${n} ${n === 1 ? 'app' : 'apps'})`)}${revs.size > 3 ? ` and ${revs.size - 3} more` : ''}. <a href="/sources">Sources</a></p>`;
}

/** The live part of the overview. */
export function renderOverviewLive(
  o: Overview,
  all: readonly AppSync[],
  filter: OverviewFilter,
  problem: ReadProblem | undefined,
  synced: boolean,
  now = Date.now(),
): Html {
  if (problem && (!synced || problem.kind !== 'unreachable')) return renderProblem(problem, 'The overview');
  if (!synced) return html`<p>Reading AppSyncs…</p>`;
  const count = (s: UiState) => {
    const f: OverviewFilter = { ...filter, state: filter.state === s ? undefined : s, page: undefined };
    return html`<li><a href="/${filterQuery(f)}"${filter.state === s ? html` aria-current="true"` : ''}><span class="n">${o.counts[s]}</span>${stateBadge(s)}</a></li>`;
  };
  const shown = pageOf(o.rows, filter.page);
  const body = shown.rows.map((r) => row(r, now));
  const range =
    shown.rows.length === o.rows.length
      ? `${o.rows.length}`
      : `${shown.first + 1}-${shown.first + shown.rows.length} of ${o.rows.length}`;
  const current = filter.page === 'all' ? 'all' : Math.min(filter.page ?? 1, shown.pages);
  const pager =
    shown.pages > 1
      ? html`<nav class="pager" aria-label="Pages">${current !== 'all' && current > 1 ? html`<a href="/${filterQuery({ ...filter, page: current - 1 })}" rel="prev">Previous</a>` : ''}
${current !== 'all' && current < shown.pages ? html`<a href="/${filterQuery({ ...filter, page: current + 1 })}" rel="next">Next ${Math.min(PAGE_SIZE, o.rows.length - shown.first - shown.rows.length)}</a>` : ''}
${current === 'all' ? html`<a href="/${filterQuery({ ...filter, page: undefined })}">Show pages</a>` : html`<a href="/${filterQuery({ ...filter, page: 'all' })}">Show all ${o.rows.length}</a>`}</nav>`
      : '';
  return html`<h2 class="visually-hidden">Counts per state</h2>
<ul class="counts" aria-label="Apps per state">${STATES.map(count)}</ul>
${sources(all)}
${
  o.total === 0
    ? html`<p>No apps yet: the agent has not written any AppSync in this namespace.</p>`
    : html`<table class="apps">
<caption>${o.rows.length === o.total ? `${range} apps` : `${range} matching apps (of ${o.total})`}, worst first</caption>
<thead><tr><th scope="col">App</th><th scope="col">Env</th><th scope="col">State</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Revision</th><th scope="col">Last sync</th><th scope="col">Commit to converged</th></tr></thead>
<tbody>${body}</tbody>
</table>${pager}${o.rows.length === 0 ? html`<p>No app matches the filter. <a href="/">Show all</a></p>` : ''}`
}`;
}
