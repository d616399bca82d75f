import pino from 'pino';
import { Manifest } from '../../model/manifest';
import { Redactor, isSecret, redactError } from '../../model/redact';

/** The agent's structured logger: JSON lines on stdout. */
export type Logger = pino.Logger;

/**
 * Paths never logged. Secret values do not reach log calls in the first place;
 * this is the second line of defence.
 */
const REDACT = [
  'token',
  'secret',
  'password',
  '*.token',
  '*.secret',
  '*.password',
  'auth.token',
  'headers.authorization',
  'data',
  '*.data',
  'stringData',
  '*.stringData',
];

/** The Secret values a logger keeps out of its lines (see {@link redactInLogs}). */
interface SecretNet {
  /** Per logger sharing the net (a source's child logger), the Secrets of its current revision. */
  current: Map<Logger, readonly Manifest[]>;
  /** Per logger, the Secrets still live: its current and previous revisions'. */
  live: Map<Logger, readonly Manifest[]>;
  redactor: Redactor;
}

const nets = new WeakMap<Logger, SecretNet>();

/** Every string of a log call's argument with the known values replaced (errors keep their class). */
function scrub(v: unknown, r: Redactor, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return r.redact(v);
  if (!v || typeof v !== 'object' || seen.has(v)) return v;
  seen.add(v);
  if (v instanceof Error) return redactError(v, (s) => r.redact(s));
  if (Array.isArray(v)) return v.map((x) => scrub(x, r, seen));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x, r, seen)]));
}

/** A JSON logger at `level` (default info) writing to `destination` (default stdout). */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const net: SecretNet = { current: new Map(), live: new Map(), redactor: Redactor.none };
  const options: pino.LoggerOptions = {
    level,
    base: { component: 'synthops-agent' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The last net: a log call given a Secret's value (under any key, in an error, in
    // the message or its arguments) still never writes it.
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          (net.redactor.empty ? args : args.map((a) => scrub(a, net.redactor, new WeakSet()))) as Parameters<
            typeof method
          >,
        );
      },
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  nets.set(logger, net);
  return logger;
}

/**
 * Tells a logger of {@link createLogger} the Secrets of the revision the agent applies:
 * their values (and those of the previous revision, still live until replaced) are
 * replaced in every later line. Other loggers are left alone.
 */
export function redactInLogs(log: Logger, manifests: readonly Manifest[]): void {
  const net = nets.get(log);
  if (!net) return;
  net.live.set(log, [...(net.current.get(log) ?? []), ...manifests]);
  net.current.set(log, manifests.filter(isSecret));
  // One net for the parent and its children: a line of any source hides every source's Secrets.
  net.redactor = Redactor.of([...net.live.values()].flat());
}

/**
 * A child of a logger of {@link createLogger} (a source's: `{ source }` on each line)
 * that shares its Secret net: what {@link redactInLogs} tells the child is kept out
 * of every line of the parent and its other children, and each child's revisions
 * replace only its own Secrets.
 */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  const child = log.child(bindings);
  const net = nets.get(log);
  if (net) nets.set(child, net);
  return child;
}

/** A logger that drops everything (library use, tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
