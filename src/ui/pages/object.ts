import * as YAML from 'yaml';
import type { AppSync } from '../../agent/state/status-store';
import { describeObject } from '../../model/manifest';
import { shortSha, timeAgo } from '../format';
import { Html, html } from '../html';
import { ShownLine, foldUnchanged, hideSecretValues } from '../object-diff';
import { ObjectView, withoutServerFields } from '../object-view';
import { revisionUrl } from '../routes';
import { renderProblem } from './problem';

function source(v: ObjectView): Html {
  const s = v.source;
  switch (s.kind) {
    case 'dry-run':
      return html`<p>Desired: the deploy branch at <a class="mono" href="${revisionUrl(s.revision)}">${shortSha(s.revision)}</a> (the applied revision), through a server-side dry-run apply (nothing is written). Both sides are cut down to the fields synthops owns, as <code>synthops diff --cluster</code> does.</p>`;
    case 'file':
      return html`<p>Desired: the file in the deploy branch at <a class="mono" href="${revisionUrl(s.revision)}">${shortSha(s.revision)}</a>, against the live object cut to the file's fields. No dry-run: ${s.why}</p>`;
    case 'not-in-revision':
      return html`<p>This object is not in the deploy branch at <a class="mono" href="${revisionUrl(s.revision)}">${shortSha(s.revision)}</a> any more: it is waiting to be pruned (see the app page for a held prune).</p>`;
    case 'last-applied':
      return html`<p>Desired from Git is not available: ${s.why}. Shown instead: the whole live object (<span class="legend"><span class="del">-</span></span> lines are fields other managers or the API server set) against the fields synthops last applied, as the server keeps them (unmarked lines).</p>`;
  }
}

function diff(v: ObjectView): Html {
  const c = v.comparison;
  if (!c) return html``;
  if (c.added === 0 && c.removed === 0 && v.source.kind !== 'last-applied')
    return html`<p class="badge h-Healthy" data-field="diff-result">In sync: no difference in the fields synthops owns.</p>`;
  return html`<p class="legend" data-field="diff-result"><span class="del">- live</span><span class="add">+ desired</span> ${c.removed} line(s) removed, ${c.added} added</p>
<pre class="diff" aria-label="Desired against live">${foldUnchanged(c.lines).map(line)}</pre>`;
}

function line(l: ShownLine): Html {
  if (l.kind === 'skip') return html`<span class="skip">  … ${l.count} unchanged line(s)</span>`;
  return html`<span class="${l.kind}">${l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}${l.text}</span>`;
}

/** The live part of an object page. */
export function renderObjectLive(sync: AppSync, v: ObjectView, now = Date.now()): Html {
  const live = v.live;
  const shown = live
    ? live.kind === 'Secret'
      ? hideSecretValues(withoutServerFields(live), undefined)[0]
      : withoutServerFields(live)
    : undefined;
  return html`<dl class="summary">
<dt>App</dt><dd>${sync.spec.app} (${sync.spec.env})</dd>
<dt>Object</dt><dd class="mono">${describeObject(v.ref)} <span class="muted">${v.ref.apiVersion}</span></dd>
<dt>Health</dt><dd>${v.health ? html`<span class="badge h-${v.health.health}">${v.health.health}</span> ${v.health.reason}` : live ? '-' : html`<span class="badge h-Missing">Missing</span> not in the cluster`}</dd>
</dl>
${v.liveProblem ? renderProblem(v.liveProblem, 'Reading this object') : ''}
<h2>Desired against live</h2>
${source(v)}
${diff(v)}
<h2>Field owners</h2>
${
  v.owners.length > 0
    ? html`<table><thead><tr><th scope="col">Manager</th><th scope="col">Operation</th><th scope="col">Updated</th><th scope="col">Fields</th></tr></thead>
<tbody>${v.owners.map((o) => html`<tr><td>${o.manager}${o.subresource ? html` <span class="muted">(${o.subresource})</span>` : ''}</td><td>${o.operation}</td><td>${timeAgo(o.time, now)}</td><td class="msg mono">${o.fields.join(', ')}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No managed fields (the object is missing or was never applied server-side).</p>`
}
${shown ? html`<details><summary>Live object (YAML, without status and server metadata)</summary><pre><code>${YAML.stringify(shown, { lineWidth: 0 })}</code></pre></details>` : ''}`;
}
