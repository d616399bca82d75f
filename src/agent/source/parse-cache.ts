import * as fs from 'fs';
import * as path from 'path';
import { Manifest } from '../../model/manifest';

/** One parsed object of a file: the document it came from and the object. */
export interface ParsedDocument {
  readonly doc: number;
  readonly manifest: Manifest;
}

// 2: plain manifests are read as kubectl reads them; entries parsed before are stale.
const FORMAT = 2;

interface CacheFile {
  readonly format: number;
  readonly entries: Record<string, ParsedDocument[]>;
}

/**
 * Parsed YAML files by the sha256 of their bytes. Parsing YAML is the largest CPU cost
 * of loading a revision, and a new commit changes few files: the long-running agent
 * keeps the cache in memory, `agent --once` in a file next to its checkout. Only files
 * that parsed without a problem are cached, so errors are always reported afresh. A
 * missing or unreadable cache file is an empty cache, never an error.
 */
export class ParseCache {
  private entries = new Map<string, ParsedDocument[]>();
  private readonly used = new Set<string>();
  private changed = false;

  constructor(private readonly file?: string) {
    if (!file) return;
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
      if (data.format === FORMAT && data.entries && typeof data.entries === 'object')
        this.entries = new Map(Object.entries(data.entries));
    } catch {
      // no cache yet, or a damaged one: start empty
    }
  }

  public get(sha256: string): readonly ParsedDocument[] | undefined {
    const hit = this.entries.get(sha256);
    if (hit) this.used.add(sha256);
    return hit;
  }

  public set(sha256: string, docs: ParsedDocument[]): void {
    this.entries.set(sha256, docs);
    this.used.add(sha256);
    this.changed = true;
  }

  /**
   * Ends one load: forgets files the load did not use (so the cache holds one revision,
   * not every revision ever seen) and writes the cache file when it changed.
   */
  public commit(): void {
    for (const k of [...this.entries.keys()]) {
      if (!this.used.has(k)) {
        this.entries.delete(k);
        this.changed = true;
      }
    }
    this.used.clear();
    if (!this.file || !this.changed) return;
    this.changed = false;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, entries: Object.fromEntries(this.entries) }));
      fs.renameSync(tmp, this.file);
    } catch {
      // a cache that cannot be written only makes the next load slower
    }
  }
}
