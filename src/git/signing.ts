import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SynthopsError } from '../model/errors';
import {
  SignatureCheck,
  SignerTrust,
  describeCheck,
  parseVerdict,
  signatureFormat,
  withRevocation,
} from './signature-verdict';

export * from './signature-verdict';

/** How deploy commits are signed (git's own `gpg.format`). */
export interface SigningKey {
  /** `ssh` (a private key file, git's `gpg.format=ssh`) or `openpgp` (a key id in a GnuPG home). */
  readonly format: 'ssh' | 'openpgp';
  /** SSH: the private key file; OpenPGP: the key id or fingerprint. */
  readonly key: string;
  /** OpenPGP: the GnuPG home holding the secret key. @default - gpg's own default (~/.gnupg) */
  readonly gnupgHome?: string;
}

/** The tip of a branch is not signed by a trusted key: it is not applied. */
export class SignatureError extends SynthopsError {
  constructor(public readonly check: SignatureCheck) {
    super(`commit ${check.sha.slice(0, 12)} is not applied: ${describeCheck(check)}`);
  }
}

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
  const raw = await gitOut(dir, ['cat-file', 'commit', sha], env);
  return parseVerdict(sha, out, signatureFormat(raw));
}

/**
 * Checks one commit with git's own verification against the trusted signers. A
 * signature that only fails because its key is in the revocation file is reported as
 * `revoked-key` (git says just "bad" then).
 */
export async function verifyCommit(dir: string, sha: string, trust: SignerTrust): Promise<SignatureCheck> {
  const c = await check(dir, sha, trust, true);
  if (c.verdict !== 'bad' || !trust.revokedKeysFile) return c;
  return withRevocation(c, await check(dir, sha, trust, false));
}
