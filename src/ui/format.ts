import { Html, html } from './html';

/** `3m ago`-style age of a timestamp, relative to `now`. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** A `<time>` element: relative text, the exact time as its machine value and tooltip. */
export function timeAgo(iso: string | undefined, now = Date.now()): Html {
  if (!iso) return html`<span class="muted">-</span>`;
  return html`<time datetime="${iso}" title="${iso}">${ago(iso, now)}</time>`;
}

/** Seconds with one decimal (`1.2 s`), or `-`. */
export function seconds(s: number | undefined): string {
  return s === undefined || !Number.isFinite(s) ? '-' : `${s.toFixed(1)} s`;
}

/** The first 12 characters of a commit sha (what the agent and `status` print). */
export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 12) : '-';
}
