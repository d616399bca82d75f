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

const MEMORY_UNITS: Record<string, (n: number) => Size> = {
  Ki: Size.kibibytes,
  Mi: Size.mebibytes,
  Gi: Size.gibibytes,
  Ti: Size.tebibytes,
};

/** Parses a binary memory quantity (`64Mi`, `1Gi`) for cdk8s-plus. */
export function parseMemory(value: string, field: string): Size {
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti)$/.exec(value);
  if (!m)
    throw new QuantityError(`${field}: "${value}" is not a memory quantity (use a binary unit, e.g. "128Mi" or "1Gi")`);
  return MEMORY_UNITS[m[2]](Number(m[1]));
}
