/**
 * Base class of every error synthops raises on purpose. The CLI prints
 * `message` alone (no stack) for these and maps `exitCode` to the process exit code.
 */
export class SynthopsError extends Error {
  /** Process exit code: 1 when the job failed, 2 for bad usage. */
  public readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command-line usage or a config repo that cannot be read at all (exit code 2). */
export class UsageError extends SynthopsError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A config-repo file (environments, image pins, an app module) is malformed. */
export class ConfigError extends SynthopsError {
  /** The file the error is about, relative to the config repo root. */
  public readonly file: string;

  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.file = file;
  }
}
