/** Where commands print; tests pass their own to capture output. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Prints to the process's stdout and stderr. */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

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
