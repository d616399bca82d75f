/** Placeholders a notification template may use (`{{app}}`). */
export const TEMPLATE_PLACEHOLDERS = ['app', 'env', 'revision', 'reason', 'message'] as const;

/** One placeholder's name. */
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** What a template is filled with; a missing value renders as an empty string. */
export type TemplateValues = Partial<Record<TemplatePlaceholder, string>>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders of `template` that are not {@link TEMPLATE_PLACEHOLDERS}, in order, once each. */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(TEMPLATE_PLACEHOLDERS);
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !known.has(name));
  return [...new Set(unknown)];
}

/** Fills `template`'s placeholders (already checked with {@link unknownPlaceholders}). */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_, name: string) => values[name as TemplatePlaceholder] ?? '');
}
