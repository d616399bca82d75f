import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SynthopsError } from '../model/errors';

/** How deploy commits are signed (git's own `gpg.format`). */
export interface SigningKey {
  /** `ssh` (a private key file, git's `gpg.format=ssh`) or `openpgp` (a key id in a GnuPG home). */
  readonly format: 'ssh' | 'openpgp';
  /** SSH: the private key file; OpenPGP: the key id or fingerprint. */
  readonly key: string;
  /** OpenPGP: the GnuPG home holding the secret key. @default - gpg's own default (~/.gnupg) */
  readonly gnupgHome?: string;
}

/** Who may sign the deploy branch, as git checks it. */
export interface SignerTrust {
  /** SSH allowed-signers file (`principal key` lines, git's `gpg.ssh.allowedSignersFile`). @default - none: SSH signatures are not trusted */
  readonly allowedSignersFile?: string;
  /** SSH keys that no longer count (git's `gpg.ssh.revocationFile`). @default - none revoked */
  readonly revokedKeysFile?: string;
  /** GnuPG home whose public keyring holds the trusted OpenPGP keys. @default - none: OpenPGP signatures are not trusted */
  readonly gnupgHome?: string;
}

/** Git's `%G?` verdict, spelt out. */
export type SignatureVerdict =
  | 'good'
  | 'untrusted-key'
  | 'no-signature'
  | 'bad'
  | 'revoked-key'
  | 'expired'
  | 'cannot-check';

/** What git says of one commit's signature. */
export interface SignatureCheck {
  readonly sha: string;
  readonly verdict: SignatureVerdict;
  /** The principal (SSH) or user id (OpenPGP) git names, when it names one. @default - none */
  readonly signer?: string;
  /** Fingerprint of the signing key. @default - none */
  readonly key?: string;
  /** What kind of signature the commit carries. @default - none (unsigned) */
  readonly format?: 'ssh' | 'openpgp';
}

/** The tip of a branch is not signed by a trusted key: it is not applied. */
export class SignatureError extends SynthopsError {
  constructor(public readonly check: SignatureCheck) {
    super(`commit ${check.sha.slice(0, 12)} is not applied: ${describeCheck(check)}`);
  }
}

/** One line for people: what is wrong with a signature, naming the signer or its absence. */
export function describeCheck(c: SignatureCheck): string {
  const who = c.signer ? `${c.signer} (key ${c.key})` : c.key ? `key ${c.key}` : 'an unknown key';
  switch (c.verdict) {
    case 'good':
      return `signed by ${who}`;
    case 'no-signature':
      return 'it is not signed';
    case 'untrusted-key':
      return `signed by ${who}, which is not in the allowed signers`;
    case 'revoked-key':
      return `signed by ${who}, which is revoked`;
    case 'expired':
      return `signed by ${who}, which has expired`;
    case 'bad':
      return `its signature by ${who} does not verify`;
    default:
      return `its signature cannot be checked (${who}: the key is not in the trusted keyring)`;
  }
}

/** Git's `%G?` letters (see git-log PRETTY FORMATS). */
const VERDICTS: Readonly<Record<string, SignatureVerdict>> = {
  G: 'good',
  U: 'untrusted-key',
  N: 'no-signature',
  B: 'bad',
  R: 'revoked-key',
  X: 'expired',
  Y: 'expired',
  E: 'cannot-check',
};

/** `git -c` arguments and environment that make a commit signed with `key`. */
export function signingConfig(key: SigningKey): { args: string[]; env: Record<string, string> } {
  const args = ['-c', 'commit.gpgsign=true', '-c', `user.signingkey=${key.key}`, '-c', `gpg.format=${key.format}`];
  return { args, env: key.gnupgHome ? { GNUPGHOME: key.gnupgHome } : {} };
}

function gitOut(dir: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...env },
        timeout: 30_000,
      },
      (err, stdout) => {
        if (err) reject(err);
        else resolve(stdout);
      },
    );
  });
}

async function check(dir: string, sha: string, trust: SignerTrust, withRevocations: boolean): Promise<SignatureCheck> {
  const args: string[] = [];
  if (trust.allowedSignersFile) args.push('-c', `gpg.ssh.allowedSignersFile=${trust.allowedSignersFile}`);
  // Without a trust file git would fall back to ~/.ssh or the user's config: never.
  else args.push('-c', `gpg.ssh.allowedSignersFile=${path.join(os.tmpdir(), 'synthops-no-signers')}`);
  if (withRevocations && trust.revokedKeysFile) args.push('-c', `gpg.ssh.revocationFile=${trust.revokedKeysFile}`);
  const env: Record<string, string> = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  // An empty GnuPG home trusts nobody; gpg still needs one that exists.
  env.GNUPGHOME = trust.gnupgHome ?? fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-gnupg-'));
  const out = await gitOut(dir, [...args, 'log', '-1', '--format=%G?%x00%GS%x00%GF', sha, '--'], env);
  if (!trust.gnupgHome) fs.rmSync(env.GNUPGHOME, { recursive: true, force: true });
  const [letter, signer, key] = out.trim().split('\0');
  const raw = await gitOut(dir, ['cat-file', 'commit', sha], env);
  const format = /^gpgsig -----BEGIN SSH SIGNATURE/m.test(raw)
    ? 'ssh'
    : /^gpgsig -----BEGIN PGP SIGNATURE/m.test(raw)
      ? 'openpgp'
      : undefined;
  return {
    sha,
    verdict: VERDICTS[letter] ?? 'cannot-check',
    signer: signer || undefined,
    key: key || undefined,
    format,
  };
}

/**
 * Checks one commit with git's own verification against the trusted signers. A
 * signature that only fails because its key is in the revocation file is reported as
 * `revoked-key` (git says just "bad" then).
 */
export async function verifyCommit(dir: string, sha: string, trust: SignerTrust): Promise<SignatureCheck> {
  const c = await check(dir, sha, trust, true);
  if (c.verdict === 'bad' && trust.revokedKeysFile) {
    const without = await check(dir, sha, trust, false);
    if (without.verdict === 'good' || without.verdict === 'untrusted-key')
      return { ...without, verdict: 'revoked-key' };
  }
  return c;
}

/** Whether a check lets the commit be applied: a good signature by a trusted key. */
export function isTrusted(c: SignatureCheck, trust: SignerTrust): boolean {
  if (c.verdict === 'good') return true;
  // gpg says "unknown validity" for keys without ownertrust; the keyring we were given is the trust.
  return c.verdict === 'untrusted-key' && c.format === 'openpgp' && trust.gnupgHome !== undefined;
}
