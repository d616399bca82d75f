import { LoadedRevision } from '../source/revision';
import { AppResult, ReconcileResult } from './reconcile';

const LIST_LIMIT = 20;

function list(label: string, items: readonly string[]): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, LIST_LIMIT).map((i) => `    ${i}`);
  if (items.length > LIST_LIMIT) shown.push(`    ... and ${items.length - LIST_LIMIT} more`);
  return [`  ${label} (${items.length}):`, ...shown];
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** What loading said about a revision: the binary that rendered it, then one line per warning. */
export function formatLoad(loaded: Pick<LoadedRevision, 'layout' | 'renderedBy' | 'warnings' | 'revision'>): string[] {
  const by = loaded.renderedBy;
  return [
    ...(by
      ? [`rendered ${loaded.revision.source.path ?? '.'} (${loaded.layout}) with ${by.tool} ${by.version} (${by.path})`]
      : []),
    ...(loaded.warnings ?? []).map((w) => `warning: ${w}`),
  ];
}

/** Renders a reconcile result as text: one table row per app, then each app's change set and problems. */
export function formatResult(r: ReconcileResult, dryRun: boolean): string[] {
  const lines = [
    `revision ${r.revision.slice(0, 12)}, environment ${r.env}${dryRun ? ' (dry run: nothing written)' : ''}`,
  ];
  const header = ['APP', 'STATUS', 'CREATED', 'CONFIGURED', 'UNCHANGED', 'PRUNED', 'HELD', 'HEALTH'];
  const rows = r.apps.map((a) => [
    a.app,
    a.status,
    String(a.created.length),
    String(a.configured.length),
    String(a.unchanged.length),
    String(a.pruned.length),
    String(a.held.length),
    a.health ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)) + 2);
  lines.push(
    header
      .map((h, i) => pad(h, widths[i]))
      .join('')
      .trimEnd(),
  );
  for (const row of rows)
    lines.push(
      row
        .map((c, i) => pad(c, widths[i]))
        .join('')
        .trimEnd(),
    );
  for (const a of r.apps) lines.push(...details(a));
  const why = r.apps
    .filter((a) => a.why)
    .map((a) => `${a.app}: ${a.why}`)
    .join('; ');
  // A dry run converges nothing: it says whether every app would apply.
  if (dryRun)
    lines.push(r.converged ? 'plan valid: every app would apply (nothing was written)' : `plan invalid: ${why}`);
  else lines.push(r.converged ? 'converged' : `not converged: ${why}`);
  return lines;
}

function details(a: AppResult): string[] {
  const body = [
    ...list('errors', a.errors),
    ...list('created', a.created),
    ...list('configured', a.configured),
    ...list('pruned', a.pruned),
    ...list('prune held', a.held),
    ...list('kept', a.kept),
    ...list(
      'not healthy',
      a.unhealthy.map((u) => `${u.object}: ${u.health}: ${u.message}`),
    ),
  ];
  return body.length > 0 ? [`${a.app}:`, ...body] : [];
}
