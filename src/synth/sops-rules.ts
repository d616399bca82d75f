/**
 * The creation rules of a config repo's `.sops.yaml`, as far as synth checks them:
 * which rule applies to a file, and which age recipients it names. sops itself applies
 * the rules when a file is encrypted; synth only checks that committed files still
 * match them (a rule changed, a file copied from elsewhere).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { ConfigError } from '../model/errors';

/** The config file sops finds at the repo root. */
export const SOPS_CONFIG_FILE = '.sops.yaml';

/** One creation rule. */
export interface CreationRule {
  /** Position in the file, from 0, for messages. */
  readonly index: number;
  /** The rule's `path_regex`. @default - none: the rule applies to every file */
  readonly pathRegex?: RegExp;
  /** Its age recipients (top level and key groups), in file order. */
  readonly age: readonly string[];
}

function ageList(v: unknown): string[] {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
  if (Array.isArray(v)) return v.flatMap(ageList);
  return [];
}

/** Reads `.sops.yaml` at `root`; undefined when there is none. */
export function loadSopsRules(root: string): CreationRule[] | undefined {
  const file = path.join(root, SOPS_CONFIG_FILE);
  if (!fs.existsSync(file)) return undefined;
  let data: { creation_rules?: unknown };
  try {
    data = (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) as { creation_rules?: unknown };
  } catch (e) {
    throw new ConfigError(SOPS_CONFIG_FILE, `not valid YAML: ${(e as Error).message}`);
  }
  const rules = Array.isArray(data.creation_rules) ? (data.creation_rules as Array<Record<string, unknown>>) : [];
  return rules.map((r, index) => {
    let pathRegex: RegExp | undefined;
    if (typeof r?.path_regex === 'string') {
      try {
        pathRegex = new RegExp(r.path_regex);
      } catch (e) {
        throw new ConfigError(SOPS_CONFIG_FILE, `creation_rules[${index}].path_regex: ${(e as Error).message}`);
      }
    }
    const groups = Array.isArray(r?.key_groups) ? (r.key_groups as Array<{ age?: unknown }>) : [];
    return { index, pathRegex, age: [...ageList(r?.age), ...groups.flatMap((g) => ageList(g?.age))] };
  });
}

/** The rule sops applies to `file` (relative to the repo root): the first whose path_regex matches it, or that has none. */
export function ruleFor(rules: readonly CreationRule[], file: string): CreationRule | undefined {
  return rules.find((r) => !r.pathRegex || r.pathRegex.test(file));
}
