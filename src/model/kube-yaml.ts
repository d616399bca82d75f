/**
 * Plain YAML manifests read the way kubectl reads them.
 *
 * kubectl v1.34 does not read YAML 1.2. apimachinery's stream reader splits the file
 * into documents itself, then sigs.k8s.io/yaml v1.6 (YAMLToJSON over go-yaml v2.4,
 * go.yaml.in/yaml/v2) resolves each document by go-yaml's YAML 1.1 rules and turns it
 * into JSON. Here the `yaml` package does the syntax only: its failsafe schema keeps
 * every scalar a string, and the rules below give the values. Each rule was checked
 * against that Go code; test/agent/kube-yaml.test.ts compares with kubectl and the
 * apiserver.
 *
 * Documents
 * - A line that starts with `---` ends a document. Anything after it but blanks or a
 *   `#` comment is an error (`--- |`, `----`): kubectl refuses those lines. CRLF is LF.
 * - Each document is parsed alone, so a `%` directive is an error (kubectl takes the
 *   `---` after it as the end of the document).
 * - A second document after `...` and no `---` is refused: kubectl drops it silently
 *   (or fails), and an object lost without a word is worse than an error.
 * - Empty and null documents are skipped, as kubectl skips them. Index: the n-th
 *   `---` starts document n, or n-1 when only comments come before the first `---`.
 *
 * Unquoted untagged scalars (quoted and block scalars are strings)
 * - null: empty, `~`, `null`, `Null`, `NULL`.
 * - bool: `y Y yes Yes YES true True TRUE on On ON`, and `n N no No NO false False
 *   FALSE off Off OFF`. Other spellings (`tRUE`) are strings.
 * - int: with every `_` removed, Go's integer syntax: `0755` and `0o755` are octal
 *   (493), `0x1F` hex, `0b101` binary, `1_000` is 1000; `08` is no octal, so it is
 *   the float 8. go-yaml also takes `0b-101` (-5).
 * - float: with `_` removed, `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
 *   (`1e3` is 1000); `.5_0` style after a leading dot. A float out of range (`1e400`)
 *   stays a string. `.inf`, `-.inf`, `.nan` (and `.Inf`, `.INF`...) are floats JSON
 *   cannot hold: kubectl fails ("json: unsupported value"), and so does this.
 * - Not resolved, unlike the YAML 1.1 spec: sexagesimal (`1:20` is a string) and
 *   timestamps (`2001-12-14` stays the text: go-yaml gives untyped targets the text).
 *
 * Tags
 * - `!!str`: the text. `!!int`, `!!float`, `!!bool`, `!!null`, `!!timestamp`: the text
 *   must resolve to that type, else an error; `!!float` also takes an int up to int64.
 * - `!!binary`: base64 (line breaks ignored, padding required) decoded; bytes that are
 *   not UTF-8 become U+FFFD one per byte, as Go's JSON encoder does.
 * - Any other tag on a scalar (`!`, `!foo`, `!!map`) gives the text; tags on mappings
 *   and sequences are ignored.
 *
 * Mappings
 * - Keys become strings: bools "true"/"false" (so `on:` and `y:` are "true"), ints in
 *   decimal (`0755:` is "493"), floats as Go's %g of the nearest float32 (`1e6:` is
 *   "1e+06"), `.inf:` ".inf". Null keys, ints above int64 and collections are errors.
 * - A repeated key: the last one wins, silently (go-yaml's non-strict decoding;
 *   kubectl's own duplicate check runs only against apiservers without server-side
 *   field validation). Different keys with the same string (`1` and `"1"`, `on` and
 *   `"true"`) leave kubectl keeping one at random: an error here.
 * - `<<` merges a map, or a list of maps where earlier maps win, at its place: later
 *   keys override it and it overrides earlier keys (go-yaml, not the YAML spec).
 * - Aliases are expanded. An unknown anchor, an anchor inside its own value and
 *   excessive aliasing (go-yaml's limit on alias expansion) are errors.
 *
 * Numbers: kubectl keeps integers exact up to int64 and sends larger ones as the
 * nearest float64, as here. A JavaScript number holds integers exactly only up to
 * 2^53, and beyond that JSON.stringify writes another integer (2^62 becomes
 * 4611686018427388000), so such an int64 is an error rather than a different value.
 * Floats are written the shortest way by both, so they agree. -0 is 0.
 *
 * Double-quoted escapes: go-yaml also takes `\'`, and refuses `\/` and escapes of
 * surrogate code points.
 *
 * Left out: kubectl reads a file whose first non-blank character is `{` as a stream of
 * JSON objects. It is read as YAML here: the same values for one JSON object per
 * document, a syntax error for JSON objects not separated by `---`.
 */
import * as YAML from 'yaml';

/** A JSON value, as kubectl would send it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One non-empty document of a file. */
export interface KubeYamlDocument {
  /** Index of the document in the file, from 0. */
  readonly index: number;
  /** Line (from 1) where the document's text starts. */
  readonly line: number;
  readonly value: JsonValue;
}

/**
 * What made a document unreadable: `separator` (a bad `---` line), `syntax` (not YAML,
 * or YAML kubectl cannot read), `tag` (a value that does not fit its explicit tag, or
 * bad `!!binary`), `key` (a key JSON cannot have), `merge` (a `<<` value that is not a
 * map), `alias` (bad anchor use), `number` (a number JSON, or a JavaScript number, cannot hold).
 */
export type KubeYamlErrorCode = 'separator' | 'syntax' | 'tag' | 'key' | 'merge' | 'alias' | 'number';

/** A document of a file cannot be read as kubectl would read it. */
export class KubeYamlError extends Error {
  constructor(
    public readonly code: KubeYamlErrorCode,
    public readonly file: string,
    /** Index of the document in the file, from 0. */
    public readonly document: number,
    /** Line in the file, from 1. */
    public readonly line: number,
    /** Column, from 1. */
    public readonly column: number,
    /** What is wrong, without the position. */
    public readonly reason: string,
  ) {
    super(`${file}#${document}: ${reason} at line ${line}, column ${column}`);
    this.name = 'KubeYamlError';
  }
}

/** The documents of a file and the errors of those that cannot be read. */
export interface KubeYamlResult {
  /** In file order; empty and null documents are left out. */
  readonly documents: readonly KubeYamlDocument[];
  /** At most one per document, in file order; after a bad `---` line nothing more is read. */
  readonly errors: readonly KubeYamlError[];
}

/** Parses every document of a YAML file as kubectl does (see the rules above). */
export function parseKubeYamlDocuments(text: string, file: string): KubeYamlResult {
  const documents: KubeYamlDocument[] = [];
  const errors: KubeYamlError[] = [];
  for (const part of splitDocuments(text, file, errors)) {
    const r = parsePart(part);
    if (r instanceof Fail)
      errors.push(new KubeYamlError(r.code, file, part.index, part.line + r.line - 1, r.column, r.reason));
    else if (r !== null) documents.push({ index: part.index, line: part.line, value: r });
  }
  errors.sort((a, b) => a.document - b.document);
  return { documents, errors };
}

// ---- documents ------------------------------------------------------------------

interface Part {
  readonly index: number;
  /** First line in the file, from 1. */
  readonly line: number;
  readonly text: string;
}

const isCommentOrBlank = (line: string) => /^\s*(#.*)?$/.test(line);

/**
 * kubectl's document reader: a `---` line ends the document before it and is dropped;
 * with no document before it, it starts the next one (and goes to the parser with it).
 */
function splitDocuments(text: string, file: string, errors: KubeYamlError[]): Part[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[lines.length - 1] === '') lines.pop();
  const parts: Part[] = [];
  let separators = 0;
  // 1 when the first `---` opens document 0: only comments come before it, as the YAML spec counts.
  let shift = 0;
  let doc: { start: number; lines: string[]; index?: number } = { start: 0, lines: [] };
  const close = () => {
    if (doc.lines.length > 0)
      parts.push({ index: doc.index ?? separators - shift, line: doc.start + 1, text: `${doc.lines.join('\n')}\n` });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('---')) {
      doc.index ??= separators - shift;
      doc.lines.push(line);
      continue;
    }
    const after = line.slice(3).trim();
    if (after !== '' && !after.startsWith('#')) {
      // kubectl stops here, and loses the document it was reading.
      errors.push(
        new KubeYamlError(
          'separator',
          file,
          separators - shift,
          i + 1,
          4 + line.slice(3).indexOf(after[0]),
          `a line starting with --- ends a document for kubectl; only a comment may follow it, not "${after}"`,
        ),
      );
      return parts;
    }
    if (separators === 0 && doc.lines.every(isCommentOrBlank)) {
      shift = 1;
      doc = { start: i, lines: [] };
    }
    separators++;
    if (doc.lines.length > 0) {
      close();
      doc = { start: i + 1, lines: [] };
    } else {
      doc = { start: i, lines: [line] };
    }
  }
  close();
  return parts;
}

/** A problem found inside a document; line and column are within the part. */
class Fail {
  line = 1;
  column = 1;
  constructor(
    public readonly code: KubeYamlErrorCode,
    public readonly reason: string,
    public readonly offset: number,
  ) {}
}

const PARSE_OPTIONS: YAML.ParseOptions & YAML.DocumentOptions & YAML.SchemaOptions = {
  version: '1.1',
  // Every scalar a string: the values are resolved below, by go-yaml's rules.
  schema: 'failsafe',
  merge: false,
  // go-yaml lets a repeated key overwrite the earlier one.
  uniqueKeys: false,
  prettyErrors: false,
};

/** The value of one document, null for an empty one, or what is wrong with it. */
function parsePart(part: Part): JsonValue | Fail {
  // go-yaml starts a document implicitly and then finds no node before a `...` line.
  const lines = part.text.split('\n');
  const first = lines.findIndex((l) => !isCommentOrBlank(l));
  if (first >= 0 && /^\.\.\.([ \t].*)?$/.test(lines[first])) {
    const f = new Fail('syntax', 'did not find expected node content (a ... line with no document before it)', 0);
    f.line = first + 1;
    return f;
  }
  let text = part.text;
  let docs = YAML.parseAllDocuments(text, PARSE_OPTIONS);
  // `\'` is an escape for go-yaml, not for YAML 1.2: parse it again as `\x27`.
  const quotes =
    docs.length > 0
      ? docs[0].errors
          .filter((e) => e.code === 'BAD_DQ_ESCAPE' && text.startsWith("\\'", e.pos[0]))
          .map((e) => e.pos[0])
          .sort((a, b) => a - b)
      : [];
  const patched: number[] = [];
  if (quotes.length > 0) {
    let out = '';
    let from = 0;
    for (const q of quotes) {
      out += `${text.slice(from, q)}\\x27`;
      patched.push(out.length - 4);
      from = q + 2;
    }
    text = out + text.slice(from);
    docs = YAML.parseAllDocuments(text, PARSE_OPTIONS);
  }
  const place = (f: Fail): Fail => {
    const offset = f.offset - 2 * patched.filter((p) => p < f.offset).length;
    const before = part.text.slice(0, offset).split('\n');
    f.line = before.length;
    f.column = before[before.length - 1].length + 1;
    return f;
  };
  if (docs.length === 0) {
    const directive = part.text.search(/^%/m);
    return directive < 0
      ? null
      : place(
          new Fail(
            'syntax',
            'a % directive needs a --- line after it, and that line ends the document for kubectl',
            directive,
          ),
        );
  }
  const doc = docs[0];
  if (doc.errors.length > 0)
    return place(new Fail('syntax', doc.errors[0].message.split('\n')[0], doc.errors[0].pos[0]));
  const extra = docs.slice(1).find((d) => d.contents !== null || d.errors.length > 0);
  if (extra)
    return place(
      new Fail('syntax', 'a document after ... needs a --- line before it (kubectl would drop it)', extra.range[0]),
    );
  try {
    return new DocumentReader(doc, text).read();
  } catch (e) {
    if (e instanceof Fail) return place(e);
    throw e;
  }
}

// ---- scalars --------------------------------------------------------------------

const TAG = 'tag:yaml.org,2002:';
const STR = `${TAG}str`;
const BOOL = `${TAG}bool`;
const INT = `${TAG}int`;
const FLOAT = `${TAG}float`;
const NULL = `${TAG}null`;
const TIMESTAMP = `${TAG}timestamp`;
const BINARY = `${TAG}binary`;
const MERGE = `${TAG}merge`;

/** A scalar resolved the go-yaml way; `unsigned` ints are above int64 (Go's uint64). */
type Resolved =
  | { readonly t: 'null' }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'int'; readonly v: bigint; readonly unsigned: boolean }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'timestamp'; readonly v: string };

/** Tags a scalar must resolve to, by tag. */
const TYPED: ReadonlyMap<string, Resolved['t']> = new Map([
  [NULL, 'null'],
  [BOOL, 'bool'],
  [INT, 'int'],
  [FLOAT, 'float'],
  [TIMESTAMP, 'timestamp'],
]);

const words = (l: string, r: Resolved): [string, Resolved][] => l.split(' ').map((w) => [w, r]);
/** Whole plain scalars with a fixed value. */
const WORDS: ReadonlyMap<string, Resolved> = new Map([
  ...words('y Y yes Yes YES true True TRUE on On ON', { t: 'bool', v: true }),
  ...words('n N no No NO false False FALSE off Off OFF', { t: 'bool', v: false }),
  ...words('~ null Null NULL', { t: 'null' }),
  ['', { t: 'null' }],
  ...words('.nan .NaN .NAN', { t: 'float', v: NaN }),
  ...words('.inf .Inf .INF +.inf +.Inf +.INF', { t: 'float', v: Infinity }),
  ...words('-.inf -.Inf -.INF', { t: 'float', v: -Infinity }),
]);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** Go's float syntax for text starting with a dot: `_` only between digits. */
const DOT_FLOAT = /^\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?$/;
const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN_ABS = 1n << 63n;

/** Go's strconv.ParseUint; base 0 reads the 0x, 0o, 0b and 0 prefixes. */
function parseUnsigned(s: string, base: number): bigint | undefined {
  if (s === '') return undefined;
  if (base === 0) {
    base = 10;
    if (s[0] === '0') {
      const p = s.length >= 3 ? s[1].toLowerCase() : '';
      base = p === 'b' ? 2 : p === 'x' ? 16 : 8;
      s = s.slice(p === 'b' || p === 'o' || p === 'x' ? 2 : 1);
    }
  }
  let n = 0n;
  for (const c of s) {
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) return undefined;
    n = n * BigInt(base) + BigInt(d);
    if (n > UINT64_MAX) return undefined;
  }
  return n;
}

/** Go's strconv.ParseInt into int64. */
function parseSigned(s: string, base: number): bigint | undefined {
  const neg = s.startsWith('-');
  const u = parseUnsigned(neg || s.startsWith('+') ? s.slice(1) : s, base);
  if (u === undefined || (neg ? u > INT64_MIN_ABS : u >= INT64_MIN_ABS)) return undefined;
  return neg ? -u : u;
}

const str = (v: string): Resolved => ({ t: 'str', v });
const int = (v: bigint | undefined, unsigned: boolean): Resolved | undefined =>
  v === undefined ? undefined : { t: 'int', v, unsigned };

/** go-yaml's resolution of a scalar's text; `tag` is its explicit tag, or ''. */
function resolveText(text: string, tag: string): Resolved {
  const c = text[0] ?? '';
  const hint =
    text === ''
      ? 'word'
      : c === '+' || c === '-' || (c >= '0' && c <= '9')
        ? 'number'
        : 'yYnNtTfFoO~'.includes(c)
          ? 'word'
          : c === '.'
            ? 'dot'
            : '';
  if (hint === '') return str(text);
  const word = WORDS.get(text);
  if (word) return word;
  if (hint === 'dot') {
    const v = DOT_FLOAT.test(text) ? Number(text.replace(/_/g, '')) : NaN;
    return Number.isFinite(v) ? { t: 'float', v } : str(text);
  }
  if (hint === 'number') {
    // Untagged timestamps would stay strings anyway: only !!timestamp needs the check.
    if (tag === TIMESTAMP && isTimestamp(text)) return { t: 'timestamp', v: text };
    const plain = text.replace(/_/g, '');
    const n = int(parseSigned(plain, 0), false) ?? int(parseUnsigned(plain, 0), true);
    if (n) return n;
    const v = YAML_FLOAT.test(plain) ? Number(plain) : NaN;
    if (Number.isFinite(v)) return { t: 'float', v };
    const b = plain.startsWith('0b')
      ? (int(parseSigned(plain.slice(2), 2), false) ?? int(parseUnsigned(plain.slice(2), 2), true))
      : plain.startsWith('-0b')
        ? int(parseSigned(`-${plain.slice(3)}`, 2), false)
        : undefined;
    if (b) return b;
  }
  return str(text);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The timestamp layouts go-yaml accepts, with Go's time.Parse range checks. */
function isTimestamp(s: string): boolean {
  const m = /^(\d{4})-(\d\d?)-(\d\d?)(.*)$/s.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1] + (month === 2 && leap ? 1 : 0)) return false;
  if (m[4] === '') return true;
  const t =
    /^(?:[Tt](\d\d?):(\d\d?):(\d\d?)(?:[.,]\d+)?(?:Z|[-+](\d\d):(\d\d))|  *(\d\d?):(\d\d?):(\d\d?)(?:[.,]\d+)?)$/.exec(
      m[4],
    );
  if (!t) return false;
  const [h, min, sec] = (t[1] !== undefined ? [t[1], t[2], t[3]] : [t[6], t[7], t[8]]).map(Number);
  return h < 24 && min < 60 && sec < 60 && (t[4] === undefined || (Number(t[4]) <= 24 && Number(t[5]) <= 60));
}

/** Bytes as Go's JSON encoder writes a string: each byte of a bad UTF-8 sequence is U+FFFD. */
function goString(b: Uint8Array): string {
  const cont = (x: number | undefined) => x !== undefined && x >= 0x80 && x <= 0xbf;
  let out = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    // Length of the sequence and the range of its second byte (no overlongs, surrogates or > U+10FFFF).
    const [n, lo, hi] =
      c >= 0xc2 && c <= 0xdf
        ? [1, 0x80, 0xbf]
        : c === 0xe0
          ? [2, 0xa0, 0xbf]
          : c === 0xed
            ? [2, 0x80, 0x9f]
            : c >= 0xe1 && c <= 0xef
              ? [2, 0x80, 0xbf]
              : c === 0xf0
                ? [3, 0x90, 0xbf]
                : c >= 0xf1 && c <= 0xf3
                  ? [3, 0x80, 0xbf]
                  : c === 0xf4
                    ? [3, 0x80, 0x8f]
                    : [0, 0, 0];
    let ok = n > 0 && b[i + 1] >= lo && b[i + 1] <= hi;
    for (let k = 2; ok && k <= n; k++) ok = cont(b[i + k]);
    if (!ok) {
      out += '\ufffd';
      i++;
      continue;
    }
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
    out += String.fromCodePoint(cp);
    i += n + 1;
  }
  return out;
}

/** Go's strconv.FormatFloat(x, 'g', -1, 32), as sigs.k8s.io/yaml writes float keys. */
function floatKey(x: number): string {
  const f = Math.fround(x);
  if (Number.isNaN(f)) return '.nan';
  if (!Number.isFinite(f)) return f > 0 ? '.inf' : '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let e = '';
  for (let p = 1; p <= 9 && !e; p++)
    if (Math.fround(Number(Math.abs(f).toExponential(p - 1))) === Math.abs(f)) e = Math.abs(f).toExponential(p - 1);
  const [mantissa, exponent] = e.split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  const sign = f < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  return (
    sign +
    (digits.length <= exp + 1 ? digits.padEnd(exp + 1, '0') : `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`)
  );
}

// ---- documents to JSON ----------------------------------------------------------

type Node = YAML.Node | null | undefined;

interface Entry {
  /** The JSON key, or undefined when the key cannot be one (the error is already noted). */
  readonly text: string | undefined;
  readonly value: JsonValue;
  readonly offset: number;
}

/** go-yaml's limit on alias expansion against "billion laughs" documents. */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

/** Turns one parsed document into the JSON value kubectl would send. */
class DocumentReader {
  private readonly anchors = new Map<YAML.Alias, YAML.Node | undefined>();
  private readonly expanding = new Set<YAML.Alias>();
  /** Errors Go would raise after decoding (keys, then JSON numbers): the first key error wins. */
  private readonly later: Fail[] = [];
  private decoded = 1;
  private aliased = 0;
  private depth = 0;
  private nan = 0;

  constructor(
    private readonly doc: YAML.Document.Parsed,
    private readonly text: string,
  ) {
    // An alias means the closest anchor of that name before it.
    const seen = new Map<string, YAML.Node>();
    YAML.visit(doc, {
      Node: (_k, n) => {
        if (YAML.isAlias(n)) this.anchors.set(n, seen.get(n.source));
        else if (n.anchor) seen.set(n.anchor, n);
      },
    });
  }

  public read(): JsonValue {
    // go-yaml's parser refuses an unknown anchor before any value is decoded.
    for (const [alias, target] of this.anchors)
      if (!target) throw new Fail('alias', `unknown anchor '${alias.source}' referenced`, offsetOf(alias));
    const v = this.value(this.doc.contents);
    const first = this.later.find((f) => f.code === 'key') ?? this.later[0];
    if (first) throw first;
    return v;
  }

  private visit(node: Node): void {
    this.decoded++;
    if (this.depth > 0) this.aliased++;
    if (this.aliased > 100 && this.decoded > 1000 && this.aliased / this.decoded > allowedAliasRatio(this.decoded)) {
      throw new Fail('alias', 'document contains excessive aliasing', offsetOf(node));
    }
  }

  private viaAlias<T>(alias: YAML.Alias, read: (target: YAML.Node) => T): T {
    const target = this.anchors.get(alias)!;
    if (this.expanding.has(alias))
      throw new Fail('alias', `anchor '${alias.source}' value contains itself`, offsetOf(alias));
    this.expanding.add(alias);
    this.depth++;
    try {
      return read(target);
    } finally {
      this.depth--;
      this.expanding.delete(alias);
    }
  }

  private value(node: Node): JsonValue {
    this.visit(node);
    if (YAML.isAlias(node)) return this.viaAlias(node, (t) => this.value(t));
    if (YAML.isMap(node)) {
      const entries = new Map<string, Entry>();
      this.mapInto(node, entries);
      return this.object(entries);
    }
    if (YAML.isSeq(node)) {
      return node.items.map((i) => {
        if (!YAML.isPair(i)) return this.value(i as Node);
        // `[a: 1]`: a one-pair map in a sequence.
        const entries = new Map<string, Entry>();
        const map = new YAML.YAMLMap();
        map.items.push(i as YAML.Pair);
        this.mapInto(map, entries);
        return this.object(entries);
      });
    }
    const r = this.scalar(node);
    const at = offsetOf(node);
    switch (r.t) {
      case 'null':
        return null;
      case 'bool':
        return r.v;
      case 'str':
      case 'timestamp':
        return r.v;
      case 'int': {
        const n = Number(r.v);
        // JSON.stringify(2 ** 62) is 4611686018427388000: another int64 for the apiserver.
        if (!r.unsigned && String(n) !== String(r.v))
          this.later.push(
            new Fail(
              'number',
              `the integer ${r.v} is beyond what a JavaScript number holds exactly (kubectl sends it exactly)`,
              at,
            ),
          );
        return n;
      }
      case 'float':
        if (!Number.isFinite(r.v)) {
          this.later.push(
            new Fail(
              'number',
              `${scalarText(node)} is not a JSON number (kubectl fails with "json: unsupported value")`,
              at,
            ),
          );
          return null;
        }
        return r.v === 0 ? 0 : r.v;
    }
  }

  /** A scalar (or an empty node) resolved by its style and tag. */
  private scalar(node: Node): Resolved {
    const text = scalarText(node);
    if (!YAML.isScalar(node)) return resolveText(text, '');
    const tag = node.tag ?? '';
    if (node.type === 'QUOTE_DOUBLE') this.checkEscapes(node);
    if (tag === '') return node.type === 'PLAIN' ? resolveText(text, '') : str(text);
    if (tag === BINARY) return str(this.binary(text, offsetOf(node)));
    const want = TYPED.get(tag);
    // !!str, and tags go-yaml does not resolve (`!`, `!foo`, !!map), give the text.
    if (tag === STR || !want) return str(text);
    const r = resolveText(text, tag);
    if (r.t === want) return r.t === 'timestamp' ? str(text) : r;
    if (want === 'float' && r.t === 'int' && !r.unsigned) return { t: 'float', v: Number(r.v) };
    throw new Fail('tag', `cannot decode !!${r.t} \`${text}\` as a !!${want}`, offsetOf(node));
  }

  private binary(text: string, at: number): string {
    const b64 = text.replace(/[\r\n]/g, '');
    if (!/^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64))
      throw new Fail('tag', '!!binary value contains invalid base64 data', at);
    return goString(Buffer.from(b64, 'base64'));
  }

  /** Escapes YAML 1.2 takes and go-yaml does not. */
  private checkEscapes(node: YAML.Scalar): void {
    const [start, end] = node.range ?? [0, 0];
    const src = this.text.slice(start, end);
    for (let i = 1; i < src.length - 1; i++) {
      if (src[i] !== '\\') continue;
      const e = src[i + 1];
      if (e === '/') throw new Fail('syntax', 'found unknown escape character', start + i);
      if (e === 'u' || e === 'U') {
        const cp = parseInt(src.slice(i + 2, i + (e === 'u' ? 6 : 10)), 16);
        if (cp >= 0xd800 && cp <= 0xdfff)
          throw new Fail('syntax', 'found invalid Unicode character escape code', start + i);
      }
      i++;
    }
  }

  /** Sets the pairs of a mapping into `into`, merges included, in document order. */
  private mapInto(node: YAML.YAMLMap, into: Map<string, Entry>): void {
    for (const item of node.items) {
      const pair = item as YAML.Pair<Node, Node>;
      if (isMergeKey(pair.key)) {
        this.merge(pair.value, into);
        continue;
      }
      const key = this.key(pair.key);
      const value = this.value(pair.value);
      into.set(key.id, { text: key.text, value, offset: offsetOf(pair.key) });
    }
  }

  private merge(node: Node, into: Map<string, Entry>): void {
    const one = (n: Node) => {
      this.visit(n);
      if (YAML.isAlias(n) && YAML.isMap(this.anchors.get(n))) {
        this.viaAlias(n, (t) => {
          this.visit(t);
          this.mapInto(t as YAML.YAMLMap, into);
        });
      } else if (YAML.isMap(n)) this.mapInto(n, into);
      else throw new Fail('merge', 'map merge requires map or sequence of maps as the value', offsetOf(n ?? node));
    };
    // In a list, earlier maps win: merge them last.
    if (YAML.isSeq(node)) for (const n of [...node.items].reverse()) one(n as Node);
    else one(node);
  }

  /** The identity of a key as Go's map sees it, and its JSON text. */
  private key(node: Node): { id: string; text: string | undefined } {
    this.visit(node);
    if (YAML.isAlias(node)) return this.viaAlias(node, (t) => this.key(t));
    if (YAML.isCollection(node))
      throw new Fail('key', 'invalid map key: a mapping or a sequence cannot be a key', offsetOf(node));
    const r = this.scalar(node);
    const at = offsetOf(node);
    switch (r.t) {
      case 'str':
      case 'timestamp':
        return { id: `s:${r.v}`, text: r.v };
      case 'bool':
        return { id: `b:${r.v}`, text: String(r.v) };
      case 'float':
        return { id: Number.isNaN(r.v) ? `f:nan${this.nan++}` : `f:${r.v === 0 ? 0 : r.v}`, text: floatKey(r.v) };
      case 'int':
        if (!r.unsigned) return { id: `i:${r.v}`, text: String(r.v) };
        this.later.push(new Fail('key', `unsupported map key ${r.v}: above the int64 range`, at));
        return { id: `u:${r.v}`, text: undefined };
      case 'null':
        this.later.push(new Fail('key', 'unsupported map key: null (an empty key, ~ or null)', at));
        return { id: 'n', text: undefined };
    }
  }

  private object(entries: Map<string, Entry>): JsonValue {
    const out = new Map<string, JsonValue>();
    for (const e of entries.values()) {
      if (e.text === undefined) continue;
      if (out.has(e.text))
        this.later.push(
          new Fail(
            'key',
            `two different keys become "${e.text}" in JSON (kubectl keeps one of them at random)`,
            e.offset,
          ),
        );
      out.set(e.text, e.value);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(out);
  }
}

function isMergeKey(node: Node): boolean {
  if (!YAML.isScalar(node) || node.value !== '<<') return false;
  return node.tag === undefined ? node.type === 'PLAIN' : node.tag === '!' || node.tag === MERGE;
}

/** The text of a scalar; an empty node is the empty plain scalar. */
function scalarText(node: Node): string {
  return YAML.isScalar(node) ? String(node.value ?? '') : '';
}

function offsetOf(node: Node): number {
  return node?.range?.[0] ?? 0;
}
