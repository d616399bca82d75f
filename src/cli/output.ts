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
