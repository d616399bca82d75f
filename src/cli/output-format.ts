import * as YAML from 'yaml';
import { UsageError } from '../model/errors';
import { OUTPUT_FORMATS } from './cluster-options';
import { Output } from './output';

/** What `-o` asks for. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * `apiVersion` of every document `-o json|yaml` prints. Fields are only ever added
 * under it; a field that changes meaning or goes away gets a new version.
 */
export const CLI_API_VERSION = 'synthops.dev/cli/v1';

/** The `-o` value, checked (commander checks it too; library callers may not). */
export function outputFormat(value: string | undefined): OutputFormat {
  const v = value ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(v))
    throw new UsageError(`-o: "${v}" is not one of ${OUTPUT_FORMATS.join(', ')}`);
  return v as OutputFormat;
}

/** A document of `-o json|yaml`: the envelope every command's machine output has. */
export function document<T>(
  kind: string,
  items: readonly T[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { apiVersion: CLI_API_VERSION, kind, ...extra, items };
}

/** Prints a document as JSON (indented, one trailing newline) or YAML. */
export function printDocument(io: Output, format: 'json' | 'yaml', doc: unknown): void {
  io.out(format === 'json' ? JSON.stringify(doc, null, 2) : YAML.stringify(doc, { lineWidth: 0 }).trimEnd());
}

/** Rows as aligned columns (the first row is the header); trailing blanks trimmed. */
export function table(rows: readonly (readonly string[])[]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)) + 2);
  return rows.map((r) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('')
      .trimEnd(),
  );
}

/** `12s ago`, `5m ago`, `3h ago`, `2d ago`; `-` when unknown. */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** Cuts a message to one line of at most `max` characters. */
export function oneLine(text: string | undefined, max = 80): string {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
