import type { ProgressStream } from './progress';

/** Where commands print; tests pass their own to capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where progress goes (see progress.ts). @default - `err`, a line at a time, never redrawn in place */
  readonly progress?: ProgressStream;
}

/** Prints to the process's stdout and stderr; progress goes to stderr. */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr,
};

/** The stream progress of `io` is written to: its own, else its `err` lines. */
export function progressStream(io: Output): ProgressStream {
  if (io.progress) return io.progress;
  let pending = '';
  return {
    write: (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) io.err(l);
    },
  };
}

let watching = false;

/**
 * Ends the process quietly with exit code 0 when the reader of stdout or stderr goes
 * away (`synthops status | head -1`): what it wanted has been read, and the write that
 * found the pipe closed (EPIPE) is not an error worth a stack trace. Other stream
 * errors end the process with one line and exit code 1.
 */
export function exitQuietlyWhenOutputCloses(): void {
  if (watching) return;
  watching = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      try {
        process.stderr.write(`error: writing output failed: ${e.message}\n`);
      } finally {
        process.exit(1);
      }
    });
  }
}
