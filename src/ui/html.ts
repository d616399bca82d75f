/**
 * HTML built from tagged templates: every interpolated value is escaped unless it is
 * already {@link Html}, so markup can only come from the templates in this folder, never
 * from cluster data (app names, messages, ConfigMap values, Event text).
 */

/** A piece of markup that is safe to send as is. */
export class Html {
  constructor(public readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

/** What a template may interpolate: nothing, text (escaped), numbers, markup, or lists of these. */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML: `& < > " '` become entities, so it is safe in element content and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

/** The tag of every page template: `html\`<td>${name}</td>\`` escapes `name`. */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup from a trusted constant (never from data). */
export function trusted(text: string): Html {
  return new Html(text);
}

/** Joins parts with a separator (escaped like any part). */
export function join(parts: readonly Part[], separator: Part): Html {
  return new Html(parts.map(render).join(render(separator)));
}
