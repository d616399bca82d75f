import * as fs from 'fs';
import { parseDuration } from '../model/duration';
import { GitAuth } from '../agent/source/fetch';
import { UsageError } from '../model/errors';

// Flag readers shared by the commands: each bad value is a usage error naming the flag.

/** Git credentials from flags and the environment (SYNTHOPS_GIT_TOKEN). */
export function gitAuth(opts: { readonly gitTokenFile?: string; readonly sshKey?: string; readonly knownHosts?: string }): GitAuth {
  let token = process.env.SYNTHOPS_GIT_TOKEN;
  if (opts.gitTokenFile) {
    try {
      token = fs.readFileSync(opts.gitTokenFile, 'utf8').trim();
    } catch (e) {
      throw new UsageError(`--git-token-file ${opts.gitTokenFile}: ${(e as Error).message}`);
    }
  }
  return { token: token || undefined, sshKeyFile: opts.sshKey, knownHostsFile: opts.knownHosts };
}

/** A duration flag in milliseconds. */
export function duration(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}

/** The webhook secret: from the file flag, else SYNTHOPS_WEBHOOK_SECRET. With `optional`, a missing file means none. */
export function webhookSecret(file: string | undefined, o: { readonly optional?: boolean } = {}): string | undefined {
  if (!file) return process.env.SYNTHOPS_WEBHOOK_SECRET || undefined;
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (e) {
    if (o.optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`--webhook-secret-file ${file}: ${(e as Error).message}`);
  }
}
