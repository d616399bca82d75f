import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../model/errors';
import { DistState, WrittenFileState } from './cache';
import { INDEX_FILE } from '../model/index-file';

/**
 * Refuses to replace a folder that is not synth output: `--out .` must never wipe a
 * repository. A folder qualifies when it is missing, empty, or has an index.json.
 */
export function assertReplaceable(outDir: string): void {
  if (!fs.existsSync(outDir)) return;
  if (!fs.statSync(outDir).isDirectory())
    throw new UsageError(`${outDir} exists and is not a folder; refusing to replace it`);
  const entries = fs.readdirSync(outDir);
  if (entries.length > 0 && !entries.includes(INDEX_FILE)) {
    throw new UsageError(
      `${outDir} is not empty and has no ${INDEX_FILE}, so it is not synth output; refusing to replace it`,
    );
  }
}

/** Options of {@link writeTreeAtomically}. */
export interface WriteTreeOptions {
  /** sha256 of file contents by path: files without one are always written and not recorded. @default - none: every file is written, none recorded */
  readonly hashes?: ReadonlyMap<string, string>;
  /**
   * What synth last wrote to this folder. Output that is unchanged and still exactly as
   * it was written (same inode, size and mtime; no file added or removed) is reused:
   * whole folders are moved into the new tree, single files hard-linked.
   * @default - none: every file is written
   */
  readonly previous?: DistState;
  /** Return the state of what was written, for the next write's `previous`. @default false */
  readonly record?: boolean;
}

/** What {@link writeTreeAtomically} did. */
export interface WriteTreeResult {
  /** Files written. */
  readonly written: number;
  /** Files reused from the previous tree (in a moved folder or by hard link). */
  readonly reused: number;
  /** With `record`: every file with a hash, as it is now on disk. @default - none (without `record`) */
  readonly state?: DistState;
}

/** Creates `dirs` (relative, "/" separated) below `base`, parents first, one mkdir each. */
function makeFolders(base: string, dirs: ReadonlySet<string>): void {
  for (const d of [...dirs].sort((a, b) => a.length - b.length)) fs.mkdirSync(path.join(base, d));
}

/** `a/b/c` -> [`a`, `a/b`] ("." excluded). */
function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(dir); d !== '.'; d = path.posix.dirname(d)) out.push(d);
  return out;
}

/** Removes a tree: one readdir per folder, one unlink per file (faster than fs.rmSync's per-entry lstat). */
function removeTree(dir: string): void {
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) removeTree(p);
      else fs.unlinkSync(p);
    }
    fs.rmdirSync(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** True if `file` is still the file recorded in `was`. */
function untouched(file: string, was: WrittenFileState): boolean {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() && st.ino === was.ino && st.size === was.size && st.mtimeMs === was.mtimeMs;
  } catch {
    return false;
  }
}

/**
 * Writes `files` (relative path -> content) as the new content of `outDir`, all or
 * nothing. The new tree is built in a sibling temporary folder and replaces `outDir`
 * by rename only once it is complete; on any error `outDir` is as it was. A reader
 * finds `outDir` complete and old, complete and new, or (during the renames of the
 * swap) absent; never a mix.
 *
 * With `previous`, unchanged output is not written again: directory operations are
 * what a full rewrite of thousands of files costs most, so a folder whose files are
 * all unchanged (an app's, typically) is moved from the old tree into the new one
 * while the swap is under way, and an unchanged file in a changed folder is hard-linked.
 */
export function writeTreeAtomically(
  outDir: string,
  files: ReadonlyMap<string, string>,
  options: WriteTreeOptions = {},
): WriteTreeResult {
  const abs = path.resolve(outDir);
  assertReplaceable(abs);
  const parent = path.dirname(abs);
  fs.mkdirSync(parent, { recursive: true });
  const previous = options.previous?.outDir === abs ? options.previous : undefined;
  const reusable = (rel: string): WrittenFileState | undefined => {
    const sha256 = options.hashes?.get(rel);
    const was = sha256 === undefined ? undefined : previous?.files[rel];
    return was && was.sha256 === sha256 && untouched(path.join(abs, rel), was) ? was : undefined;
  };

  // Group the files by folder; a leaf folder whose files are all reusable moves as a whole.
  const byDir = new Map<string, string[]>();
  for (const rel of files.keys()) {
    const d = path.posix.dirname(rel);
    const list = byDir.get(d);
    if (list) list.push(rel);
    else byDir.set(d, [rel]);
  }
  const nonLeaf = new Set([...byDir.keys()].flatMap(ancestors));
  const moves: string[] = [];
  const create = new Set<string>();
  const state: Record<string, WrittenFileState> = {};
  for (const [dir, rels] of byDir) {
    if (previous && dir !== '.' && !nonLeaf.has(dir) && sameFolder(path.join(abs, dir), rels)) {
      const kept = rels.map(reusable);
      if (kept.every((w) => w !== undefined)) {
        moves.push(dir);
        rels.forEach((rel, i) => {
          state[rel] = kept[i]!;
        });
        for (const a of ancestors(dir)) create.add(a);
        continue;
      }
    }
    if (dir !== '.') create.add(dir);
    for (const a of ancestors(dir)) create.add(a);
  }

  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(abs)}.new-`));
  let written = 0;
  try {
    makeFolders(tmp, create);
    for (const [rel, content] of files) {
      if (state[rel]) continue; // in a folder that moves
      const dest = path.join(tmp, rel);
      const was = previous ? reusable(rel) : undefined;
      if (was) {
        try {
          fs.linkSync(path.join(abs, rel), dest);
          state[rel] = was;
          continue;
        } catch {
          // another filesystem or no hard links: write it instead
        }
      }
      fs.writeFileSync(dest, content);
      written++;
      const sha256 = options.hashes?.get(rel);
      if (options.record && sha256 !== undefined) {
        const st = fs.statSync(dest);
        state[rel] = { sha256, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
      }
    }
  } catch (e) {
    removeTree(tmp);
    throw e;
  }

  const old = `${tmp}.old`;
  if (fs.existsSync(abs)) fs.renameSync(abs, old);
  const moved: string[] = [];
  try {
    for (const dir of moves) {
      fs.renameSync(path.join(old, dir), path.join(tmp, dir));
      moved.push(dir);
    }
    fs.renameSync(tmp, abs);
  } catch (e) {
    // Put the old tree back as it was.
    for (const dir of moved.reverse()) fs.renameSync(path.join(tmp, dir), path.join(old, dir));
    if (fs.existsSync(old)) fs.renameSync(old, abs);
    removeTree(tmp);
    throw e;
  }
  removeTree(old);
  const reused = files.size - written;
  return { written, reused, ...(options.record ? { state: { outDir: abs, files: state } } : {}) };
}

/** True if `dir` is a real folder holding exactly the files `rels` (by name) and nothing else. */
function sameFolder(dir: string, rels: readonly string[]): boolean {
  try {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.length !== rels.length || !fs.lstatSync(dir).isDirectory()) return false;
    const names = new Set(rels.map((r) => path.posix.basename(r)));
    return entries.every((e) => e.isFile() && names.has(e.name));
  } catch {
    return false;
  }
}
