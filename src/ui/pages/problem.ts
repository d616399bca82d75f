import { Html, html } from '../html';
import { ReadProblem, describeProblem, grantHint, qualified } from '../problems';

/** A read that failed, said plainly, with what to do about it. */
export function renderProblem(p: ReadProblem, what: string): Html {
  const hint =
    p.kind === 'forbidden'
      ? html`<p>${what} needs <strong>get</strong>, <strong>list</strong> and <strong>watch</strong> on <code>${qualified(p.target)}</code>${p.target.namespace ? html` in namespace <code>${p.target.namespace}</code>` : ''}. An administrator can grant it, for example:</p>
<pre><code>${grantHint(p)}
kubectl create rolebinding synthops-viewer -n ${p.target.namespace ?? 'NAMESPACE'} --role=synthops-viewer --user=YOUR-USER</code></pre>`
      : p.kind === 'not-found'
        ? html`<p>No synthops agent has installed its AppSync resource in this cluster yet, or <code>--agent-namespace</code> names another namespace.</p>`
        : '';
  return html`<div class="problem" role="alert">
<p><strong>${describeProblem(p)}</strong></p>
${hint}
<p class="detail">The API server said: <code>${p.detail}</code></p>
</div>`;
}
