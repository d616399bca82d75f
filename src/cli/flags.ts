import * as fs from 'fs';
import { DurationSyntaxError, parseDuration } from '../model/duration';
import { GitAuth } from '../agent/source/fetch';
import { UsageError } from '../model/errors';
import { SignerTrust, SigningKey } from '../git/signing';

// Flag readers shared by the commands: each bad value is a usage error naming the flag.

/** Git credentials from flags and the environment (SYNTHOPS_GIT_TOKEN). */
export function gitAuth(opts: {
  readonly gitTokenFile?: string;
  readonly sshKey?: string;
  readonly knownHosts?: string;
}): GitAuth {
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

/** A duration flag in Go's form (`1m30s`), in milliseconds; negative durations are refused. */
export function duration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    if (e instanceof DurationSyntaxError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
  if (ms < 0) throw new UsageError(`${flag}: "${value}" is negative`);
  return ms;
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

/** Flags that sign the commits a command makes. */
export interface SignFlags {
  /** `--sign-key`: SSH private key file, or OpenPGP key id. @default - none: unsigned */
  readonly signKey?: string;
  /** `--sign-format`: `ssh` or `openpgp`. @default 'ssh' */
  readonly signFormat?: string;
  /** `--gnupg-home`: GnuPG home with the OpenPGP secret key. @default - gpg's default */
  readonly gnupgHome?: string;
}

/** The signing key from `--sign-key`/`--sign-format`, checked. */
export function signingKey(opts: SignFlags): SigningKey | undefined {
  if (!opts.signKey) return undefined;
  const format = opts.signFormat ?? 'ssh';
  if (format !== 'ssh' && format !== 'openpgp')
    throw new UsageError(`--sign-format: "${format}" is neither ssh nor openpgp`);
  if (format === 'ssh' && !fs.existsSync(opts.signKey))
    throw new UsageError(`--sign-key ${opts.signKey}: no such file (an SSH private key file)`);
  return { format, key: opts.signKey, gnupgHome: opts.gnupgHome };
}

/** Flags of the agent's signature check. */
export interface VerifyFlags {
  /** `--verify-signatures`: apply only tips signed by a trusted key. @default false */
  readonly verifySignatures?: boolean;
  /** `--allowed-signers`: SSH allowed-signers file. @default - none */
  readonly allowedSigners?: string;
  /** `--revoked-keys`: SSH public keys that no longer count. @default - none */
  readonly revokedKeys?: string;
  /** `--trusted-gnupg-home`: GnuPG home whose public keyring holds trusted OpenPGP keys. @default - none */
  readonly trustedGnupgHome?: string;
}

/** The signer trust of `--verify-signatures`, or undefined when the check is off. */
export function signerTrust(opts: VerifyFlags): SignerTrust | undefined {
  if (!opts.verifySignatures) {
    if (opts.allowedSigners || opts.trustedGnupgHome)
      throw new UsageError('--allowed-signers and --trusted-gnupg-home go with --verify-signatures');
    return undefined;
  }
  if (!opts.allowedSigners && !opts.trustedGnupgHome)
    throw new UsageError('--verify-signatures needs --allowed-signers (SSH) or --trusted-gnupg-home (OpenPGP)');
  for (const [flag, file] of [
    ['--allowed-signers', opts.allowedSigners],
    ['--revoked-keys', opts.revokedKeys],
    ['--trusted-gnupg-home', opts.trustedGnupgHome],
  ] as const) {
    if (file && !fs.existsSync(file)) throw new UsageError(`${flag} ${file}: no such file or folder`);
  }
  return {
    allowedSignersFile: opts.allowedSigners,
    revokedKeysFile: opts.revokedKeys,
    gnupgHome: opts.trustedGnupgHome,
  };
}
