/**
 * Runs the unit tests of the named mutation groups (all when none is named) in this
 * one process: the command Stryker's command runner runs for every mutant. One
 * process, because `node --test` would start ts-node once per file, for each of
 * hundreds of mutants. node:test sets a non-zero exit code when a test fails.
 *
 * Run: `node -r ts-node/register/transpile-only test/mutations/suite.ts [group...]`
 */
import * as path from 'path';
import { GROUPS } from './groups';

const ROOT = path.resolve(__dirname, '..', '..');
const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in GROUPS));
if (unknown.length > 0) {
  process.stderr.write(`unknown mutation group: ${unknown.join(', ')} (groups: ${Object.keys(GROUPS).join(', ')})\n`);
  process.exit(2);
}
const files = new Set((names.length > 0 ? names : Object.keys(GROUPS)).flatMap((n) => GROUPS[n].tests));
for (const f of files) require(path.join(ROOT, f));
