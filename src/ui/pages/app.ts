import type { AppSync } from '../../agent/state/status-store';
import { AppEvent, eventTime } from '../cluster-view';
import { seconds, shortSha, timeAgo } from '../format';
import { Html, html } from '../html';
import { LiveInventory, LiveNode } from '../live-inventory';
import { ReadProblem, describeProblem } from '../problems';
import { objectUrl, revisionUrl } from '../routes';
import { reasonOf, stateOf } from '../state';
import { stateBadge } from './overview';
import { renderProblem } from './problem';

/** What the app page shows. */
export interface AppPageData {
  readonly sync: AppSync;
  readonly events: readonly AppEvent[];
  /** Why the Events could not be read. @default undefined: they could */
  readonly eventsProblem?: ReadProblem;
  /** The inventory as it is live. @default undefined: not read (see inventoryError) */
  readonly inventory?: LiveInventory;
  /** Why the live inventory could not be read at all. @default undefined */
  readonly inventoryError?: string;
  /** The deploy branch, when the UI was given it (for the approval commands). @default undefined: placeholders */
  readonly repo?: { readonly url: string; readonly branch: string };
  /** The time ages are measured from. @default Date.now() */
  readonly now?: number;
}

function healthBadge(h: LiveNode['health']): Html {
  return html`<span class="badge h-${h}">${h}</span>`;
}

function node(sync: AppSync, n: LiveNode, linked: boolean): Html {
  const label = n.ref.namespace ? `${n.ref.namespace}/${n.ref.name}` : n.ref.name;
  const name = linked
    ? html`<a href="${objectUrl(sync.metadata.namespace, sync.metadata.name, n.ref)}">${label}</a>`
    : html`<span class="mono">${n.ref.kind} ${label}</span>`;
  const reason = n.health === 'Healthy' ? html`<span class="muted">${n.reason}</span>` : html`<span>${n.reason}</span>`;
  return html`<li>${name} ${healthBadge(n.health)} ${reason}${n.children.length > 0 ? html`<ul>${n.children.map((c) => node(sync, c, false))}</ul>` : ''}</li>`;
}

function inventory(d: AppPageData): Html {
  const refs = d.sync.status?.inventory ?? [];
  if (refs.length === 0)
    return html`<p class="muted">The inventory is empty: the agent has applied nothing for this app.</p>`;
  if (!d.inventory)
    return html`<p class="problem" role="alert">${d.inventoryError ?? 'The live objects could not be read.'}</p>`;
  return html`${d.inventory.problems.map((p) => renderProblem(p, 'Showing these objects'))}
${d.inventory.groups.map(
  (g) => html`<h3>${g.kind} <span class="muted">(${g.nodes.length})</span></h3>
<ul class="tree">${g.nodes.map((n) => node(d.sync, n, true))}</ul>`,
)}`;
}

function held(d: AppPageData): Html {
  const list = d.sync.status?.held ?? [];
  if (list.length === 0) return html``;
  const app = d.sync.spec.app;
  const url = d.repo?.url ?? 'DEPLOY-REPO-URL';
  const branch = d.repo?.branch ?? 'DEPLOY-BRANCH';
  return html`<section class="panel warn" aria-labelledby="held-h">
<h2 id="held-h">Prune held</h2>
<p>These objects left Git, but deleting them was held back by the prune guards:</p>
<ul>${list.map((h) => html`<li>${h}</li>`)}</ul>
<h3>How to approve</h3>
<p>Either add an <code>Allow-Prune: ${app}</code> trailer on a deploy commit, which the agent applies at its next full reconcile (its poll interval; a webhook alone does not reconcile an unchanged tree):</p>
<pre><code>git clone --branch ${branch} ${url} deploy &amp;&amp; cd deploy
git commit --allow-empty -m "allow prune of ${app}" --trailer "Allow-Prune: ${app}"
git push origin HEAD:${branch}</code></pre>
<p>or run the agent once with the same flags it runs with, plus <code>--allow-prune ${app}</code>:</p>
<pre><code>synthops agent --once --allow-prune ${app} --repo ${url} --branch ${branch} --env ${d.sync.spec.env}</code></pre>
<p class="muted">A later publish without the trailer holds again what is still to be pruned.</p>
</section>`;
}

function list(id: string, title: string, items: readonly string[] | undefined, note?: string): Html {
  if (!items || items.length === 0) return html``;
  return html`<h2 id="${id}">${title}</h2>${note ? html`<p class="muted">${note}</p>` : ''}<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`;
}

/** The live part of an app page. */
export function renderAppLive(d: AppPageData): Html {
  const now = d.now ?? Date.now();
  const s = d.sync;
  const st = s.status ?? {};
  const state = stateOf(s);
  const { reason, message } = reasonOf(s);
  const applied = st.lastAppliedRevision;
  const attempted = st.lastAttemptedRevision;
  const events = d.events.slice(0, 20);
  return html`<dl class="summary">
<dt>State</dt><dd data-field="state">${stateBadge(state)} <span data-field="reason">${reason}</span></dd>
<dt>Message</dt><dd data-field="message">${message}</dd>
<dt>Applied revision</dt><dd class="mono">${applied ? html`<a href="${revisionUrl(applied)}">${shortSha(applied)}</a>` : '-'}</dd>
<dt>Last attempted</dt><dd class="mono">${attempted ? html`<a href="${revisionUrl(attempted)}">${shortSha(attempted)}</a>` : '-'}</dd>
<dt>Last sync</dt><dd>${timeAgo(st.lastSyncTime, now)}</dd>
<dt>Commit to converged</dt><dd>${seconds(st.commitToConvergedSeconds)}</dd>
<dt>Drift repairs</dt><dd>${st.driftRepairs ?? 0}</dd>
</dl>
${held(d)}
<h2>Conditions</h2>
${
  st.conditions && st.conditions.length > 0
    ? html`<table><thead><tr><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Since</th></tr></thead>
<tbody>${st.conditions.map((c) => html`<tr><td>${c.type}</td><td>${c.status}</td><td>${c.reason}</td><td class="msg">${c.message}</td><td>${timeAgo(c.lastTransitionTime, now)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No conditions yet.</p>`
}
${list('errors-h', 'Errors', st.errors)}
<h2>Objects</h2>
${inventory(d)}
${list('drift-h', 'Drift', st.drift, 'Live objects that differ from Git while the app is suspended (nothing is written).')}
${st.historyRewrite ? html`<p class="panel warn">The deploy branch was rewritten ${timeAgo(st.historyRewrite.time, now)}: from <span class="mono">${shortSha(st.historyRewrite.from)}</span> to <span class="mono">${shortSha(st.historyRewrite.to)}</span>.</p>` : ''}
<h2>Last reconciles</h2>
${
  st.history && st.history.length > 0
    ? html`<table><thead><tr><th scope="col">Revision</th><th scope="col">Started</th><th scope="col">Duration</th><th scope="col">Result</th><th scope="col">Objects</th><th scope="col">Message</th></tr></thead>
<tbody>${[...st.history].reverse().map((h) => html`<tr><td class="mono"><a href="${revisionUrl(h.revision)}">${shortSha(h.revision)}</a></td><td>${timeAgo(h.startTime, now)}</td><td class="num">${seconds(h.durationSeconds)}</td><td>${h.result}</td><td>${h.objects ? `${h.objects.created} created, ${h.objects.configured} configured, ${h.objects.pruned} pruned` : '-'}</td><td class="msg">${h.message}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No reconcile recorded yet.</p>`
}
<h2>Recent events</h2>
${d.eventsProblem ? html`<p class="problem" role="alert">${describeProblem(d.eventsProblem)}</p>` : ''}
${
  events.length > 0
    ? html`<table><thead><tr><th scope="col">When</th><th scope="col">Type</th><th scope="col">Reason</th><th scope="col">Message</th><th scope="col">Count</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td>${timeAgo(eventTime(e), now)}</td><td>${e.type ?? ''}</td><td>${e.reason ?? ''}</td><td class="msg">${e.message ?? ''}</td><td class="num">${e.count ?? 1}</td></tr>`)}</tbody></table>`
    : d.eventsProblem
      ? ''
      : html`<p class="muted">No recent Events (Kubernetes keeps them for an hour by default).</p>`
}`;
}
