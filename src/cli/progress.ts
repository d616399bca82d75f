import type { AppResult } from '../agent/reconcile/reconcile';
import { formatDuration } from '../model/duration';
import { ObjectHealth } from '../model/health';
import { UsageError } from '../model/errors';

// Progress of long commands (`agent --once`, `synth`) for a person watching: on a
// terminal one status line redrawn in place, piped one line per change. The report a
// command prints at the end is not progress and goes where it always went.

/** How much a command says: `-q` errors and the final summary only, `-v` adds a line per object. */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

/** `-q`/`-v` as one setting; both at once is a usage error. */
export function verbosityOf(o: { readonly quiet?: boolean; readonly verbose?: boolean }): Verbosity {
  if (o.quiet && o.verbose) throw new UsageError('-q/--quiet and -v/--verbose exclude each other');
  return o.quiet ? 'quiet' : o.verbose ? 'verbose' : 'normal';
}

/**
 * Whether to write ANSI escapes (colours, line erase): never with `--no-color` (`flag`
 * false) or a non-empty NO_COLOR (no-color.org); with FORCE_COLOR as the common
 * convention reads it (any value but `0` and `false`), even into a pipe; otherwise
 * on a terminal that is not `TERM=dumb`.
 */
export function colorEnabled(o: {
  readonly flag?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isTTY: boolean;
}): boolean {
  if (o.flag === false) return false;
  if (o.env.NO_COLOR) return false;
  const force = o.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return o.isTTY && o.env.TERM !== 'dumb';
}

/** How a text is shown. */
export type Style = 'ok' | 'warn' | 'bad' | 'dim';

const SGR: Record<Style, number> = { ok: 32, warn: 33, bad: 31, dim: 2 };

/** Paints with SGR colours when `color`, else returns the text as it is. */
export function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? `\u001b[${SGR[style]}m${text}\u001b[0m` : text);
}

/** One line saying how an app ended: outcome, what changed, health, and why when not converged. */
export function appDoneLine(r: AppResult, paint: (style: Style, text: string) => string): string {
  const counts = (
    [
      ['created', r.created.length],
      ['configured', r.configured.length],
      ['unchanged', r.unchanged.length],
      ['pruned', r.pruned.length],
      ['held', r.held.length],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([what, n]) => `${n} ${what}`);
  const style: Style = r.converged ? 'ok' : r.outcome === 'Failed' ? 'bad' : 'warn';
  const facts = [...counts, ...(r.health ? [r.health.toLowerCase()] : [])].join(', ');
  const why = r.converged || !r.why ? '' : `: ${r.why}`;
  return `${r.app}: ${paint(style, r.outcome)}${facts ? ` (${facts})` : ''} in ${formatDuration(Math.round(r.durationMs))}${why}`;
}

/** What the health wait waits for, in one line: the first object still Progressing, and how many more. */
export function waitingLine(health: ReadonlyMap<string, readonly ObjectHealth[]>): string | undefined {
  const open = [...health].flatMap(([app, objects]) =>
    objects.filter((o) => o.health === 'Progressing').map((o) => ({ app, ...o })),
  );
  if (open.length === 0) return undefined;
  const [first] = open;
  const more = open.length > 1 ? ` and ${open.length - 1} more` : '';
  return `waiting for ${first.app}: ${first.object} (${first.message})${more}`;
}

/** The per-object lines of `-v`: each object whose health differs from what `before` recorded (which is updated). */
export function healthChanges(
  health: ReadonlyMap<string, readonly ObjectHealth[]>,
  before: Map<string, string>,
): string[] {
  const lines: string[] = [];
  for (const [app, objects] of health) {
    for (const o of objects) {
      const key = `${app}\u0000${o.object}`;
      const now = `${o.health}: ${o.message}`;
      if (before.get(key) === now) continue;
      before.set(key, now);
      lines.push(`${app}: ${o.object}: ${now}`);
    }
  }
  return lines;
}

/** Where progress is written: a stream (a terminal's width is known). */
export interface ProgressStream {
  write(chunk: string): unknown;
  /** @default - not a terminal */
  readonly isTTY?: boolean;
  /** Terminal width. @default 80 */
  readonly columns?: number;
}

/** Settings of a {@link Progress}. */
export interface ProgressOptions {
  /** Redraw one status line in place (a terminal), rather than a line per change. */
  readonly live: boolean;
  /** ANSI escapes allowed (see {@link colorEnabled}); without them the line is redrawn with `\r` and spaces. */
  readonly color: boolean;
  readonly verbosity: Verbosity;
  /** Silence while a status is pending after which, piped, a reminder line comes (with the 500 ms tick: never 2 s silent). @default 1500 */
  readonly remindMs?: number;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/**
 * Progress output: permanent lines (an app is done), per-object detail lines (with
 * `-v`) and one transient status (what is being waited for). `-q` shows none of it.
 * {@link tick} keeps it from going silent: it runs from a timer once {@link start}ed.
 */
export class Progress {
  readonly paint: (style: Style, text: string) => string;
  private current: string | undefined;
  private since = 0;
  private lastWrite = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly o: ProgressOptions,
  ) {
    this.now = o.now ?? Date.now;
    this.paint = painter(o.color);
  }

  /** Whether the status is redrawn in place (a terminal). */
  get live(): boolean {
    return this.o.live && this.enabled;
  }

  /** Whether this progress prints anything. */
  get enabled(): boolean {
    return this.o.verbosity !== 'quiet';
  }

  /** A line that stays (the status line, if any, is redrawn below it). */
  line(text: string): void {
    if (!this.enabled) return;
    this.erase();
    this.write(`${text}\n`);
    this.draw();
  }

  /** A line shown only with `-v`. */
  detail(text: string): void {
    if (this.o.verbosity === 'verbose') this.line(text);
  }

  /** Sets (or with undefined clears) what is going on; piped, a change is one line. */
  status(text: string | undefined): void {
    if (!this.enabled || text === this.current) return;
    this.current = text;
    this.since = this.now();
    if (this.o.live) {
      this.erase();
      this.draw();
    } else if (text !== undefined) this.write(`${text}\n`);
  }

  /** Keeps the output alive: on a terminal the elapsed time moves; piped, a reminder after `remindMs` of silence. */
  tick(): void {
    if (!this.enabled || this.current === undefined) return;
    if (this.o.live) {
      this.erase();
      this.draw();
    } else if (this.now() - this.lastWrite >= (this.o.remindMs ?? 1500)) {
      this.write(`${this.current} (still, after ${this.elapsed()})\n`);
    }
  }

  /** Starts the timer of {@link tick} (it keeps no process alive). */
  start(everyMs = 500): this {
    if (this.enabled && !this.timer) {
      this.timer = setInterval(() => this.tick(), everyMs);
      this.timer.unref();
    }
    return this;
  }

  /** Stops the timer and clears the status line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
    this.current = undefined;
  }

  private elapsed(): string {
    return formatDuration(Math.floor((this.now() - this.since) / 1000) * 1000);
  }

  private write(chunk: string): void {
    this.stream.write(chunk);
    this.lastWrite = this.now();
  }

  // The status line, cut to the terminal's width so it never wraps (a wrapped line cannot be redrawn).
  private draw(): void {
    if (!this.o.live || this.current === undefined) return;
    // A pty without a size reports 0 columns.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    let text = `${this.current} (${this.elapsed()})`;
    if (text.length > width) text = `${text.slice(0, width - 3)}...`;
    this.write(text);
    this.drawn = text.length;
  }

  private erase(): void {
    if (!this.o.live || this.drawn === 0) return;
    this.write(this.o.color ? '\r\u001b[K' : `\r${' '.repeat(this.drawn)}\r`);
    this.drawn = 0;
  }
}

/** The progress flags of a command. */
export interface ProgressFlags {
  /** `-q, --quiet`: errors and the final summary only. @default false */
  readonly quiet?: boolean;
  /** `-v, --verbose`: also a line per object. @default false */
  readonly verbose?: boolean;
  /** False with `--no-color`. @default true */
  readonly color?: boolean;
}

/** A {@link Progress} on `stream` as the flags and the environment ask: live on a terminal, coloured as {@link colorEnabled} says. */
export function openProgress(
  stream: ProgressStream,
  flags: ProgressFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Progress {
  const isTTY = stream.isTTY === true;
  return new Progress(stream, {
    live: isTTY && env.TERM !== 'dumb',
    color: colorEnabled({ flag: flags.color, env, isTTY }),
    verbosity: verbosityOf(flags),
  });
}
