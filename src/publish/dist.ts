import * as fs from 'fs';
import * as path from 'path';
import { INDEX_API_VERSION, INDEX_FILE, SynthIndex } from '../model/index-file';
import { PublishError } from './errors';
import { sha256 } from '../model/hash';

function walk(root: string, dir = root, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out);
    else out.push(path.relative(root, p).split(path.sep).join('/'));
  }
  return out;
}

/**
 * Reads a synth output folder and checks it is whole: an index.json of ours, every
 * listed file present with its sha256, and no file the index does not list.
 */
export function verifiedDist(dir: string): SynthIndex {
  const indexPath = path.join(dir, INDEX_FILE);
  if (!fs.existsSync(indexPath)) throw new PublishError(`${dir}: no ${INDEX_FILE}; run synthops synth first`);
  let index: SynthIndex;
  try {
    index = JSON.parse(fs.readFileSync(indexPath, 'utf8')) as SynthIndex;
  } catch (e) {
    throw new PublishError(`${indexPath}: not valid JSON: ${(e as Error).message}`);
  }
  if (index.apiVersion !== INDEX_API_VERSION)
    throw new PublishError(`${indexPath}: not a synthops index (${INDEX_API_VERSION})`);
  const problems: string[] = [];
  const listed = new Set(index.files.map((f) => f.path));
  for (const f of index.files) {
    const p = path.join(dir, f.path);
    if (!fs.existsSync(p)) problems.push(`${f.path}: listed in ${INDEX_FILE} but missing`);
    else if (sha256(fs.readFileSync(p)) !== f.sha256) problems.push(`${f.path}: sha256 does not match ${INDEX_FILE}`);
  }
  for (const f of walk(dir)) if (f !== INDEX_FILE && !listed.has(f)) problems.push(`${f}: not listed in ${INDEX_FILE}`);
  if (problems.length > 0) throw new PublishError(`${dir} is not a clean synth output:\n  ${problems.join('\n  ')}`);
  return index;
}
