import * as YAML from 'yaml';
import { Manifest } from '../model/manifest';

/**
 * Serialises one object to YAML. The bytes depend only on the object: keys are
 * already sorted by normalize(), lines are never folded, and there are no
 * timestamps or comments.
 */
export function toYaml(m: Manifest): string {
  return YAML.stringify(m, { lineWidth: 0, minContentWidth: 0, sortMapEntries: false });
}
