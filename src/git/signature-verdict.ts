/**
 * The decisions of the signature check, apart from running git: what git's answer
 * means, whether it lets a commit be applied, and how it reads to people. Pure, so
 * `npm run test:mutations` can judge them with unit tests.
 */

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

/** The verdict, signer and key in git's `%G?%x00%GS%x00%GF` answer for `sha`. */
export function parseVerdict(sha: string, logLine: string, format: SignatureCheck['format']): SignatureCheck {
  const [letter, signer, key] = logLine.trim().split('\0');
  return {
    sha,
    verdict: VERDICTS[letter] ?? 'cannot-check',
    signer: signer || undefined,
    key: key || undefined,
    format,
  };
}

/** The kind of signature a raw commit object (`git cat-file commit`) carries. */
export function signatureFormat(rawCommit: string): SignatureCheck['format'] {
  if (/^gpgsig -----BEGIN SSH SIGNATURE/m.test(rawCommit)) return 'ssh';
  if (/^gpgsig -----BEGIN PGP SIGNATURE/m.test(rawCommit)) return 'openpgp';
  return undefined;
}

/**
 * Git says just "bad" for a signature whose key is in the revocation file. When the
 * same commit checks good (or untrusted) without that file, the key was revoked.
 */
export function withRevocation(checked: SignatureCheck, withoutRevocations: SignatureCheck): SignatureCheck {
  if (checked.verdict !== 'bad') return checked;
  if (withoutRevocations.verdict === 'good' || withoutRevocations.verdict === 'untrusted-key')
    return { ...withoutRevocations, verdict: 'revoked-key' };
  return checked;
}

/** Whether a check lets the commit be applied: a good signature by a trusted key. */
export function isTrusted(c: SignatureCheck, trust: SignerTrust): boolean {
  if (c.verdict === 'good') return true;
  // gpg says "unknown validity" for keys without ownertrust; the keyring we were given is the trust.
  return c.verdict === 'untrusted-key' && c.format === 'openpgp' && trust.gnupgHome !== undefined;
}
