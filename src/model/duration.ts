/** A text that is not a duration in Go's form (`1m30s`), with why. */
export class DurationSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`"${text}" is not a duration: ${reason} (use Go's form, e.g. 500ms, 30s, 1m30s, 2h)`);
  }
}

// Go's time.ParseDuration units, in milliseconds (µ and μ are both accepted, as Go does).
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const COMPONENT = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/;

/**
 * Parses a duration as Go's `time.ParseDuration` (and so Flux, Kubernetes and
 * `kubectl --timeout`) reads it: a sequence of decimal numbers with a unit each
 * (`300ms`, `1.5h`, `2h45m`, `1m30s`; units ns, us, ms, s, m, h), or `0`. A sign is
 * accepted as Go does; a bare number other than 0 is not (30 could mean seconds or
 * minutes). Resolves to milliseconds (sub-millisecond parts are kept as fractions).
 */
export function parseDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationSyntaxError(text, 'it is empty');
  let total = 0;
  while (rest !== '') {
    const m = COMPONENT.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(rest)) throw new DurationSyntaxError(text, 'a number without a unit');
      throw new DurationSyntaxError(text, 'each part is a number with a unit (ns, us, ms, s, m, h)');
    }
    const unit = UNITS[m[2]];
    if (unit === undefined) throw new DurationSyntaxError(text, `unknown unit "${m[2]}"`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  // Go's limit: an int64 of nanoseconds (about 290 years).
  if (total > 9_223_372_036_854.775) throw new DurationSyntaxError(text, 'out of range');
  return sign * total;
}

/** Milliseconds as Go prints a duration, without zero parts: `1m30s`, `2h`, `500ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trim(rest)}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  return `${sign}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${trim(s)}s` : ''}`;
}

// At most millisecond precision, without trailing zeros.
function trim(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
