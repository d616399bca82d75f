/**
 * Keeping Secret values out of every message synthops shows (reports, logs, Events,
 * status, notifications, diffs). Pure: the values come from the Secrets the caller
 * knows (desired in Git, live where it read them), the patterns from the shapes the
 * apiserver prints values in.
 */
import { isDeepStrictEqual } from 'util';
import { Manifest, ObjectRef, apiGroup } from './manifest';

/** What a value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Whole values shorter than this are not redacted: a Secret holding `1`, `on` or `dev`
 * would otherwise turn every digit, word and namespace of a message into [redacted]
 * and make it unreadable, while a value that short gives little away (and is one of a
 * handful anyone could guess anyway).
 */
export const MIN_VALUE_LENGTH = 4;

/**
 * A fragment of a value this long is redacted wherever it appears: messages cut long
 * values (a truncated admission message, a value split over lines) and leave a part of
 * them. Shorter than this, fragments of ordinary values (`password`, `database`) would
 * match the field names and words of ordinary messages.
 */
export const MIN_FRAGMENT_LENGTH = 12;

/** Length of the sampled windows of long forms, and the offsets sampled: SAMPLE + STRIDE - 1 = {@link MIN_FRAGMENT_LENGTH}. */
const SAMPLE = 8;
const STRIDE = MIN_FRAGMENT_LENGTH - SAMPLE + 1;

/** Whether a ref names a core Secret. */
export function isSecret(r: Pick<ObjectRef, 'apiVersion' | 'kind'>): boolean {
  return r.kind === 'Secret' && apiGroup(r.apiVersion) === '';
}

/** Go's `%v` of a float64 (`1.2345675e+06`, `1e-05`): how the apiserver prints a number it refuses. */
function goExponent(n: number): string {
  const [mantissa, exp] = n.toExponential().split('e');
  return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
}

/** The ways a text value is written in messages: raw, escaped inside quotes (JSON, Go's HTML-safe JSON, JSON in JSON), and base64. */
function textForms(text: string): string[] {
  const json = JSON.stringify(text).slice(1, -1);
  // Go's encoding/json also escapes <, > and & (HTML-safe), as in a JSON object quoted in an error.
  const goJson = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  const base64 = Buffer.from(text).toString('base64');
  const forms = [text, json, goJson, JSON.stringify(json).slice(1, -1), base64];
  // Unpadded base64 is a part of the padded form, found as a fragment of it once the
  // padded form is longer than a fragment (base64 comes in fours: 16+): only a short
  // one needs looking for whole.
  if (base64.length <= MIN_FRAGMENT_LENGTH) forms.push(base64.replace(/=+$/, ''));
  return forms;
}

/** The forms of a scalar of `stringData` (or any value): numbers and booleans as JS and Go print them. */
function scalarForms(v: unknown): string[] {
  if (typeof v === 'string') return textForms(v);
  if (typeof v === 'number' && Number.isFinite(v)) return [...textForms(String(v)), goExponent(v)];
  if (typeof v === 'boolean' || typeof v === 'bigint') return textForms(String(v));
  return [];
}

/** The text of a `data` value when it is strict base64 of UTF-8 (what the apiserver would decode). */
function decoded(b64: string): string | undefined {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64) return undefined;
  const text = bytes.toString('utf8');
  return Buffer.from(text).equals(bytes) ? text : undefined;
}

/** Every leaf of a value (of lists too): a wrongly nested `data.password: {nested: x}` still holds secrets. */
function leaves(v: unknown): unknown[] {
  if (v && typeof v === 'object') return Object.values(v).flatMap(leaves);
  return [v];
}

/**
 * Every form of every value of a Secret: `stringData` values (strings, and numbers and
 * booleans as the apiserver prints them), `data` values and their decoded text, each
 * raw, escaped and base64-encoded (the apiserver turns `stringData` into `data`). Other
 * kinds have none.
 */
export function secretForms(m: Manifest | undefined): string[] {
  if (!m || !isSecret(m)) return [];
  const out: string[] = [];
  for (const leaf of leaves(m.stringData)) out.push(...scalarForms(leaf));
  for (const leaf of leaves(m.data)) {
    out.push(...scalarForms(leaf));
    const text = typeof leaf === 'string' ? decoded(leaf) : undefined;
    if (text !== undefined) out.push(...textForms(text));
  }
  return out;
}

/** Labels of apimachinery field errors whose value follows (`Invalid value: "…"`). */
const VALUE_LABEL = /\b(Invalid value|Unsupported value|Duplicate value|Not found): /g;
/** Go type prefixes the apiserver prints values with. */
const VALUE_PREFIX = /valueUnstructured\{Value:|\[\](?:byte|uint8)\{/g;

/** Index just after the Go-quoted string that opens at `i`. */
function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

/**
 * End of the Go value starting at `i`: a quoted string, or everything up to a `: `,
 * `,` or line end outside brackets and quotes (numbers, `map[string]interface {}{…}`).
 * `inside`: the value is inside a brace already open; it ends before its closing one.
 */
function goValueEnd(s: string, i: number, inside = false): number {
  if (!inside && s[i] === '"') return quotedEnd(s, i);
  let depth = inside ? 1 : 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '"') j = quotedEnd(s, j) - 1;
    else if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) {
      if (depth === 0 || (inside && depth === 1)) return j;
      depth--;
    } else if (depth === 0 && (c === ',' || c === '\n' || (c === ':' && s[j + 1] === ' '))) return j;
  }
  return s.length;
}

/** Replaces the [start, end) ranges of `s` (any order, overlapping) with {@link REDACTED}. */
function replaceRanges(s: string, ranges: Array<[number, number]>): string {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let out = '';
  let at = 0;
  for (const [a, b] of merged) {
    out += s.slice(at, a) + REDACTED;
    at = b;
  }
  return out + s.slice(at);
}

/**
 * The second net, for messages about a Secret: values in the shapes the apiserver
 * prints them (`Invalid value: "…"`, `valueUnstructured{Value:…}`, `[]byte{…}`) are
 * redacted even when they are in no form synthops knows (a value the server derived,
 * or a Secret synthops did not read).
 */
export function redactSecretPatterns(message: string): string {
  const ranges: Array<[number, number]> = [];
  for (const m of message.matchAll(VALUE_LABEL)) {
    const start = m.index! + m[0].length;
    const quoted = message[start] === '"';
    const end = goValueEnd(message, start);
    if (quoted ? end - start > 2 : end > start) ranges.push(quoted ? [start + 1, end - 1] : [start, end]);
  }
  for (const m of message.matchAll(VALUE_PREFIX)) {
    const start = m.index! + m[0].length;
    const end = goValueEnd(message, start, true);
    if (end > start) ranges.push([start, end]);
  }
  // A value already redacted (`Invalid value: "[redacted]"`) is replaced by the same text.
  return replaceRanges(message, ranges);
}

/** Replaces Secret values in messages; built from the Secrets a message may be derived from. */
export class Redactor {
  /** Knows no values: only the patterns of {@link redactAbout} apply. */
  public static readonly none = new Redactor([]);

  /** A redactor of the values of the Secrets among `manifests` (other kinds are ignored). */
  public static of(manifests: Iterable<Manifest | undefined>): Redactor {
    return Redactor.none.with(manifests);
  }

  /** Every form, each at least {@link MIN_VALUE_LENGTH} long. */
  private readonly forms: readonly string[];
  /** Forms shorter than {@link MIN_FRAGMENT_LENGTH}, by length: found whole, one look-up per position and length. */
  private readonly short: ReadonlyMap<number, ReadonlySet<string>>;
  /**
   * Samples of the longer forms: the {@link SAMPLE}-character window at every
   * {@link STRIDE}th offset, with where it is. Any common run of
   * {@link MIN_FRAGMENT_LENGTH}+ characters between a message and a form contains one
   * (a fifth of the memory of indexing every window: PEM keys are long).
   */
  private readonly samples: ReadonlyMap<string, ReadonlyArray<readonly [form: string, offset: number]>>;

  private constructor(forms: Iterable<string>) {
    this.forms = [...new Set([...forms].filter((f) => f.length >= MIN_VALUE_LENGTH))];
    const short = new Map<number, Set<string>>();
    const samples = new Map<string, Array<readonly [string, number]>>();
    for (const f of this.forms) {
      if (f.length < MIN_FRAGMENT_LENGTH) {
        if (!short.has(f.length)) short.set(f.length, new Set());
        short.get(f.length)!.add(f);
        continue;
      }
      for (let off = 0; off + SAMPLE <= f.length; off += STRIDE) {
        const w = f.slice(off, off + SAMPLE);
        if (!samples.has(w)) samples.set(w, []);
        samples.get(w)!.push([f, off]);
      }
    }
    this.short = short;
    this.samples = samples;
  }

  /** This redactor, also knowing the values of the Secrets among `manifests`. */
  public with(manifests: Iterable<Manifest | undefined>): Redactor {
    const more = [...manifests].flatMap(secretForms);
    return more.length === 0 ? this : new Redactor([...this.forms, ...more]);
  }

  /** Whether it knows no value. */
  public get empty(): boolean {
    return this.forms.length === 0;
  }

  /** `message` with every known value, and every fragment of {@link MIN_FRAGMENT_LENGTH}+ characters of one, replaced by {@link REDACTED}. */
  public redact(message: string): string {
    if (this.forms.length === 0) return message;
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i + MIN_VALUE_LENGTH <= message.length; i++) {
      for (const [n, set] of this.short) if (set.has(message.slice(i, i + n))) ranges.push([i, i + n]);
      for (const [f, off] of this.samples.get(message.slice(i, i + SAMPLE)) ?? []) {
        // Grow the sampled match both ways to the whole run the message shares with the
        // form. Past the form's ends f[k] is undefined and matches no character of the
        // message, so only the message's bounds need a test.
        let start = i;
        let end = i + SAMPLE;
        for (let k = off; start > 0 && message[start - 1] === f[k - 1]; k--) start--;
        for (let k = off + SAMPLE; end < message.length && message[end] === f[k]; k++) end++;
        if (end - start >= MIN_FRAGMENT_LENGTH) ranges.push([start, end]);
      }
    }
    return replaceRanges(message, ranges);
  }

  /** {@link redact}, plus the patterns of {@link redactSecretPatterns} when the message is about a Secret. */
  public redactAbout(ref: Pick<ObjectRef, 'apiVersion' | 'kind'> | undefined, message: string): string {
    const known = this.redact(message);
    return ref && isSecret(ref) ? redactSecretPatterns(known) : known;
  }
}

/**
 * Strings anywhere in plain data (an API Status's `details.causes` quote values too),
 * and errors in it (an AggregateError's `errors`). Class instances are kept as they are.
 */
function redactValue(v: unknown, fix: (s: string) => string, seen: Map<object, unknown>): unknown {
  if (typeof v === 'string') return fix(v);
  if (!v || typeof v !== 'object') return v;
  // An error whose cause (or data) leads back to itself: the copy refers to its copy.
  if (seen.has(v)) return seen.get(v);
  if (v instanceof Error) return redactErrorIn(v, fix, seen);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(redactValue(x, fix, seen));
    return out;
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(x, fix, seen);
    return out;
  }
  return v;
}

function redactErrorIn(e: Error, fix: (s: string) => string, seen: Map<object, unknown>): Error {
  const copy = Object.create(Object.getPrototypeOf(e) as object) as Record<string, unknown>;
  seen.set(e, copy);
  for (const key of Object.getOwnPropertyNames(e)) {
    const d = Object.getOwnPropertyDescriptor(e, key)!;
    // An accessor (no `value`) is copied as it is: a getter reads the copy's redacted fields.
    if ('value' in d) d.value = redactValue(d.value, fix, seen);
    Object.defineProperty(copy, key, d);
  }
  return copy as unknown as Error;
}

/**
 * A copy of an error with `fix` applied to its strings (message, stack, own string
 * properties, the strings of its plain data, its cause and other errors it holds),
 * keeping its class and typed fields: decisions taken on the error (`isNotFound`,
 * `status`) still work on the copy. Non-errors: strings and the strings of plain data
 * (arrays, plain objects) are fixed, anything else is kept. Cycles (an error that is
 * its own cause, data that holds itself) are copied as cycles.
 */
export function redactError<T>(e: T, fix: (s: string) => string): T {
  return redactValue(e, fix, new Map()) as T;
}

/** How a Secret value is shown in a diff: equal on both sides, or which side of a change. */
const MASK = { same: REDACTED, before: '[redacted: before]', after: '[redacted: after]' } as const;

function maskValues(own: unknown, other: unknown, side: 'before' | 'after'): unknown {
  if (!own || typeof own !== 'object' || Array.isArray(own)) return REDACTED;
  const theirs = other && typeof other === 'object' ? (other as Record<string, unknown>) : {};
  return Object.fromEntries(
    Object.entries(own).map(([k, v]) => [
      k,
      !(k in theirs) || isDeepStrictEqual(v, theirs[k]) ? MASK.same : MASK[side],
    ]),
  );
}

function masked(m: Manifest | undefined, other: Manifest | undefined, side: 'before' | 'after'): Manifest | undefined {
  if (!m || !isSecret(m)) return m;
  const out: Record<string, unknown> = { ...m };
  for (const field of ['data', 'stringData'] as const) {
    // An absent field stays absent (an explicit undefined is kept by the spread above).
    if (m[field] !== undefined) out[field] = maskValues(m[field], other?.[field], side);
  }
  return out as Manifest;
}

/**
 * Two versions of an object for a diff, with Secret values masked: keys stay, each
 * value shows as {@link REDACTED} when both sides hold the same, and as
 * `[redacted: before]` / `[redacted: after]` where it changed, so a diff tells that a
 * value changed and never what it is. Other kinds are returned as they are.
 */
export function maskSecretPair(
  before: Manifest | undefined,
  after: Manifest | undefined,
): [Manifest | undefined, Manifest | undefined] {
  return [masked(before, after, 'before'), masked(after, before, 'after')];
}
