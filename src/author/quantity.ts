import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';

/** A CPU or memory quantity that cdk8s-plus cannot express, named with the field it came from. */
export class QuantityError extends Error {}

/** Parses a CPU quantity (`250m`, `0.5`, `2`) for cdk8s-plus. */
export function parseCpu(value: string, field: string): Cpu {
  const milli = /^([0-9]+)m$/.exec(value);
  if (milli) return Cpu.millis(Number(milli[1]));
  if (/^[0-9]+(\.[0-9]{1,3})?$/.test(value)) return Cpu.millis(Math.round(Number(value) * 1000));
  throw new QuantityError(`${field}: "${value}" is not a CPU quantity (use e.g. "250m" or "0.5")`);
}

/** How the apiserver writes a quantity back: the family of the suffix it was given. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A Kubernetes resource quantity, parsed exactly. */
export interface Quantity {
  /** The value in units of 10^-9 (the apiserver rounds anything finer up to this). */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  /** The form the apiserver stores and returns (`0.5Gi` -> `512Mi`, `1.5` -> `1500m`). */
  readonly canonical: string;
}

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

// The grammar of k8s.io/apimachinery's resource.Quantity: a signed decimal number
// (digits, digits.digits, digits. or .digits) and a suffix: binary SI, decimal SI, or
// an exponent (e/E and a signed integer).
const QUANTITY = /^([+-]?)([0-9]+\.?[0-9]*|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

const NANO = 10n ** 9n;
/** The largest quantity the apiserver keeps exactly (int64); larger values are capped to it. */
export const MAX_QUANTITY_NANOS = (2n ** 63n - 1n) * NANO;

/** A text that is not a quantity, with why (without the field: the caller names it). */
export class QuantitySyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`"${text}" is not a Kubernetes quantity: ${reason}`);
  }
}

/**
 * Parses a Kubernetes quantity as the apiserver does (`128Mi`, `1G`, `1e3`, `0.5Gi`,
 * `100m`, `1.5`, `1E`), exactly (no floating point), with its canonical form. Values
 * finer than 1n are rounded up to 1n, as the apiserver does. Throws a
 * {@link QuantitySyntaxError} for anything else, and for values whose magnitude
 * exceeds what the apiserver keeps (2^63-1; it would silently cap them).
 */
export function parseQuantity(text: string): Quantity {
  const m = QUANTITY.exec(text);
  if (!m)
    throw new QuantitySyntaxError(
      text,
      'a number with an optional suffix: Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<exponent>',
    );
  const [, sign, number, suffix = ''] = m;
  const [whole, fraction = ''] = number.split('.');
  // value = digits * 10^(exp10 - fraction length) * 2^exp2
  let digits = BigInt(`${whole || '0'}${fraction}`);
  let exp10 = -fraction.length;
  let exp2 = 0;
  let format: QuantityFormat;
  if (suffix in BINARY_SUFFIXES) {
    format = 'BinarySI';
    exp2 = BINARY_SUFFIXES[suffix];
  } else if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    exp10 += DECIMAL_SUFFIXES[suffix];
  } else {
    format = 'DecimalExponent';
    const e = Number(suffix.slice(1));
    // The apiserver reads the exponent as an int32.
    if (!Number.isSafeInteger(e) || Math.abs(e) > 2 ** 31 - 1)
      throw new QuantitySyntaxError(text, 'the exponent is out of range');
    exp10 += e;
  }
  digits *= 2n ** BigInt(exp2);
  // In nanos, rounding any remainder up (away from zero), as the apiserver does.
  const shift = exp10 + 9;
  let nanos: bigint;
  if (shift >= 0) {
    if (digits !== 0n && shift > 40) throw new QuantitySyntaxError(text, 'too large');
    nanos = digits * 10n ** BigInt(shift);
  } else if (-shift > digits.toString().length) {
    // Less than 1n (never computing 10^huge): rounded up to 1n.
    nanos = digits === 0n ? 0n : 1n;
  } else {
    const div = 10n ** BigInt(-shift);
    nanos = digits / div + (digits % div === 0n ? 0n : 1n);
  }
  if (nanos > MAX_QUANTITY_NANOS) throw new QuantitySyntaxError(text, 'too large (the apiserver keeps at most 2^63-1)');
  if (sign === '-') nanos = -nanos;
  // A binary quantity below 1 is written as a decimal one, as the apiserver does.
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return { nanos, format, canonical: canonical(nanos, format) };
}

const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** The apiserver's canonical form (resource.Quantity's CanonicalizeBytes) of a value in nanos. */
function canonical(nanos: bigint, format: QuantityFormat): string {
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  // Binary only for whole values of at least 1024 (smaller or fractional ones would round).
  if (format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    let amount = abs / NANO;
    let exp = 0;
    while (amount % 1024n === 0n && exp < 6) {
      amount /= 1024n;
      exp++;
    }
    return `${sign}${amount}${BINARY_BY_EXPONENT[exp]}`;
  }
  // mantissa * 10^exponent, all factors of 10 in the exponent, then down to a multiple of 3.
  let mantissa = abs;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  while (((exponent % 3) + 3) % 3 !== 0) {
    mantissa *= 10n;
    exponent--;
  }
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  // Values are below 2^63 (about 9.2E): the exponent is at most 18, a suffix exists.
  return `${sign}${mantissa}${DECIMAL_BY_EXPONENT.get(exponent)}`;
}

const MILLI = 10n ** 6n;

/**
 * The quantity as a resource list (a container's requests and limits, a quota) keeps
 * it: rounded up to a multiple of 1m, as the apiserver's defaulting does.
 */
export function roundUpToMilli(q: Quantity): Quantity {
  const rest = q.nanos % MILLI;
  if (rest === 0n) return q;
  const nanos = q.nanos - rest + (q.nanos > 0n ? MILLI : 0n);
  return { nanos, format: q.format, canonical: canonical(nanos, q.format) };
}

/**
 * A memory quantity of a container's resources, in any form Kubernetes accepts
 * (`128Mi`, `1G`, `0.5Gi`, `1e9`, `100m`), as the apiserver keeps it (rounded up to
 * 1m). Negative quantities are refused (the apiserver refuses the Pod).
 */
export function memoryQuantity(value: string, field: string): Quantity {
  let q: Quantity;
  try {
    q = parseQuantity(value);
  } catch (e) {
    if (e instanceof QuantitySyntaxError)
      throw new QuantityError(
        `${field}: "${value}" is not a memory quantity (${e.reason}; e.g. "128Mi", "1Gi" or "500M")`,
      );
    throw e;
  }
  if (q.nanos < 0n) throw new QuantityError(`${field}: "${value}" is negative`);
  return roundUpToMilli(q);
}

/**
 * A memory quantity (see {@link memoryQuantity}) as synthops writes it: whole
 * mebibytes as `<n>Mi` (as it always has: the output of existing apps stays the
 * same), anything else in the apiserver's canonical form.
 */
export function parseMemory(value: string, field: string): string {
  const q = memoryQuantity(value, field);
  const mebibyte = 2n ** 20n * NANO;
  if (q.nanos > 0n && q.nanos % mebibyte === 0n) return `${q.nanos / mebibyte}Mi`;
  return q.canonical;
}

/** The memory quantity as cdk8s-plus's Size when it is whole mebibytes (what Size can express), else undefined. */
export function memorySize(canonicalMemory: string): Size | undefined {
  const m = /^([0-9]+)Mi$/.exec(canonicalMemory);
  return m ? Size.mebibytes(Number(m[1])) : undefined;
}
