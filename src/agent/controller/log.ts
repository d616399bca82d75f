import pino from 'pino';

/** The agent's structured logger: JSON lines on stdout. */
export type Logger = pino.Logger;

/**
 * Paths never logged. Secret values do not reach log calls in the first place;
 * this is the second line of defence.
 */
const REDACT = ['token', 'secret', 'password', '*.token', '*.secret', '*.password', 'auth.token', 'headers.authorization', 'data', '*.data', 'stringData'];

/** A JSON logger at `level` (default info) writing to `destination` (default stdout). */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { level, base: { component: 'synthops-agent' }, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything (library use, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
