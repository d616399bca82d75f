/**
 * Renders kept in memory by the digest of their inputs (inputs.ts), so a revision that
 * changes one of many Kustomize or Helm folders re-renders only that one. Bounded by
 * the total size of the kept output; the least recently used render goes first. Only
 * successful renders are kept: a failure is rendered again, with its message fresh.
 */

/** Counts of one cache, for tests and the benchmark. */
export interface RenderCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Renders that could not be keyed (remote bases, a symlinked folder). */
  readonly uncacheable: number;
  readonly entries: number;
  readonly bytes: number;
}

/** Options of a {@link RenderCache}. */
export interface RenderCacheOptions {
  /**
   * Drop the least recently used renders when the kept output exceeds this many bytes.
   * @default 67108864 (64 MiB)
   */
  readonly maxBytes?: number;
}

/** A value with the size it is accounted at. */
interface Entry<T> {
  readonly value: T;
  readonly bytes: number;
}

/** An in-memory cache of renders keyed by input digest. */
export class RenderCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxBytes: number;
  private hits = 0;
  private misses = 0;
  private unkeyed = 0;
  private bytes = 0;

  constructor(options: RenderCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /**
   * The render kept for `key`, else the result of `render` (kept when it is at most
   * the cache's size). An undefined key (inputs that cannot be keyed) always renders.
   */
  public through(key: string | undefined, render: () => T, sizeOf: (value: T) => number): T {
    if (key === undefined) {
      this.unkeyed++;
      return render();
    }
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      // Re-insert: Map order is the recency order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    this.misses++;
    const value = render();
    const bytes = sizeOf(value);
    if (bytes <= this.maxBytes) {
      this.entries.set(key, { value, bytes });
      this.bytes += bytes;
      for (const [k, e] of this.entries) {
        if (this.bytes <= this.maxBytes) break;
        this.entries.delete(k);
        this.bytes -= e.bytes;
      }
    }
    return value;
  }

  public get stats(): RenderCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      uncacheable: this.unkeyed,
      entries: this.entries.size,
      bytes: this.bytes,
    };
  }

  /** Forgets every render and resets the counts. */
  public clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.hits = this.misses = this.unkeyed = 0;
  }
}
