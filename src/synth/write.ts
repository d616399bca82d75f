import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import { INDEX_FILE } from './index-file';

/**
 * Refuses to replace a folder that is not synth output: `--out .` must never wipe a
 * repository. A folder qualifies when it is missing, empty, or has an index.json.
 */
export function assertReplaceable(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  if (!fs.statSync(outDir).isDirectory()) throw new UsageError(`${outDir} exists and is not a folder; refusing to replace it`);
  const entries = fs.readdirSync(outDir);
  if (entries.length > 0 && !entries.includes(INDEX_FILE)) {
    throw new UsageError(`${outDir} is not empty and has no ${INDEX_FILE}, so it is not synth output; refusing to replace it`);
  }
}

/**
 * Writes `files` (relative path -> content) as the new content of `outDir`, all or
 * nothing: everything goes to a sibling temporary folder first, which replaces
 * `outDir` by rename only once it is complete. On any error `outDir` is untouched.
 */
export function writeTreeAtomically(outDir: string, files: ReadonlyMap<string, string>): void {
  const abs = path.resolve(outDir);
  assertReplaceable(abs);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(abs)}.new-`));
  try {
    const dirs = new Set<string>();
    for (const rel of files.keys()) dirs.add(path.dirname(path.join(tmp, rel)));
    for (const d of dirs) fs.mkdirSync(d, { recursive: true });
    for (const [rel, content] of files) fs.writeFileSync(path.join(tmp, rel), content);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const old = `${tmp}.old`;
  if (fs.existsSync(abs)) fs.renameSync(abs, old);
  fs.renameSync(tmp, abs);
  fs.rmSync(old, { recursive: true, force: true });
}
