import type { AppSync } from '../agent/state/status-store';
import { STATES, UiState, reasonOf, severity, stateOf } from './state';

/** The overview's filter, from the query string (so it works without JavaScript). */
export interface OverviewFilter {
  /** Only apps in this state. @default undefined: every state */
  readonly state?: UiState;
  /** Only apps of this environment. @default undefined: every environment */
  readonly env?: string;
  /** Case-insensitive text in app, env, reason, message or revision. @default '' */
  readonly q: string;
  /** Which page of rows (from 1), or every row. @default 1 */
  readonly page?: number | 'all';
}

/** Rows per page: the worst come first, so the first page holds what needs a look. */
export const PAGE_SIZE = 200;

/** One row of the overview. */
export interface OverviewRow {
  readonly sync: AppSync;
  readonly state: UiState;
  readonly reason: string;
  readonly message: string;
}

/** What the overview shows: rows after the filter, and counts of every app by state. */
export interface Overview {
  readonly rows: readonly OverviewRow[];
  readonly total: number;
  readonly counts: Readonly<Record<UiState, number>>;
  readonly envs: readonly string[];
}

/** Reads the filter from a URL's query; unknown states are ignored. */
export function parseFilter(query: URLSearchParams): OverviewFilter {
  const state = query.get('state') ?? '';
  const env = query.get('env') ?? '';
  const page = query.get('page') ?? '';
  return {
    state: (STATES as readonly string[]).includes(state) ? (state as UiState) : undefined,
    env: env || undefined,
    q: (query.get('q') ?? '').trim().slice(0, 200),
    page: page === 'all' ? 'all' : /^[1-9]\d{0,5}$/.test(page) ? Number(page) : undefined,
  };
}

/** The rows of the filter's page, and where it starts (0-based). */
export function pageOf<T>(
  rows: readonly T[],
  page: OverviewFilter['page'],
): { readonly rows: readonly T[]; readonly first: number; readonly pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  if (page === 'all') return { rows, first: 0, pages };
  const n = Math.min(page ?? 1, pages);
  return { rows: rows.slice((n - 1) * PAGE_SIZE, n * PAGE_SIZE), first: (n - 1) * PAGE_SIZE, pages };
}

/** The query string of a filter (empty parts left out), with a leading `?` when not empty. */
export function filterQuery(f: OverviewFilter): string {
  const p = new URLSearchParams();
  if (f.state) p.set('state', f.state);
  if (f.env) p.set('env', f.env);
  if (f.q) p.set('q', f.q);
  if (f.page && f.page !== 1) p.set('page', String(f.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

function matches(row: OverviewRow, q: string): boolean {
  if (!q) return true;
  const st = row.sync.status;
  const hay = [
    row.sync.spec.app,
    row.sync.spec.env,
    row.sync.metadata.name,
    row.reason,
    row.message,
    st?.lastAppliedRevision ?? '',
  ]
    .join('\n')
    .toLowerCase();
  return hay.includes(q.toLowerCase());
}

/** Classifies, counts, filters and sorts (worst first, then env and app) every AppSync. */
export function buildOverview(syncs: readonly AppSync[], filter: OverviewFilter): Overview {
  const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<UiState, number>;
  const envs = new Set<string>();
  const all: OverviewRow[] = syncs.map((sync) => {
    const state = stateOf(sync);
    counts[state]++;
    envs.add(sync.spec.env);
    return { sync, state, ...reasonOf(sync) };
  });
  const rows = all
    .filter(
      (r) =>
        (!filter.state || r.state === filter.state) &&
        (!filter.env || r.sync.spec.env === filter.env) &&
        matches(r, filter.q),
    )
    .sort(
      (a, b) =>
        severity(a.state) - severity(b.state) ||
        a.sync.spec.env.localeCompare(b.sync.spec.env) ||
        a.sync.spec.app.localeCompare(b.sync.spec.app) ||
        a.sync.metadata.name.localeCompare(b.sync.metadata.name),
    );
  return { rows, total: all.length, counts, envs: [...envs].sort() };
}
