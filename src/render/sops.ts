import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Manifest } from '../model/manifest';
import { SynthopsError } from '../model/errors';
import { findTool } from './tools';

/** Why a SOPS document could not be decrypted. */
export type DecryptFailure =
  /** The document was changed after encryption (SOPS's MAC does not match). */
  | 'mac-mismatch'
  /** None of the identities opens the document (wrong key, or encrypted for other recipients). */
  | 'no-key'
  /** Values the encryption covers are in plain text next to encrypted ones. */
  | 'half-encrypted'
  /** Anything else sops refused (malformed metadata, unsupported version). */
  | 'failed';

/** A SOPS document was not decrypted; the message never holds plaintext. */
export class DecryptError extends SynthopsError {
  constructor(
    public readonly failure: DecryptFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Whether an object is a SOPS document (its `sops` metadata holds a MAC). */
export function isSopsEncrypted(m: Manifest): boolean {
  const sops = (m as unknown as { sops?: { mac?: unknown } }).sops;
  return typeof sops === 'object' && sops !== null && typeof sops.mac === 'string';
}

/** The age recipients a SOPS document is encrypted for. */
export function sopsRecipients(m: Manifest): string[] {
  const age = (m as unknown as { sops?: { age?: Array<{ recipient?: string }> } }).sops?.age ?? [];
  return age.map((a) => a.recipient).filter((r): r is string => typeof r === 'string');
}

const ENCRYPTED = /^ENC\[[A-Z0-9_]+,data:/;

/**
 * Paths of values under `data`/`stringData` left in plain text in a SOPS document:
 * SOPS would carry them along (outside the MAC when `mac_only_encrypted`), so a
 * half-encrypted Secret is refused rather than applied with a value nobody encrypted.
 */
export function plainSecretValues(m: Manifest): string[] {
  const out: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const values = (m as unknown as Record<string, unknown>)[field];
    if (!values || typeof values !== 'object') continue;
    for (const [k, v] of Object.entries(values as Record<string, unknown>)) if (typeof v !== 'string' || !ENCRYPTED.test(v)) out.push(`${field}.${k}`);
  }
  return out;
}

/** sops's documented exit codes (getsops/sops `cmd/sops/codes`). */
const EXIT_FAILURE: Readonly<Record<number, DecryptFailure>> = { 51: 'mac-mismatch', 128: 'no-key' };

/**
 * Decrypts one SOPS document in memory with the real sops binary: the document on
 * stdin, the age identities in the child's environment, the plaintext on stdout. No
 * file is written, and sops sees an empty home, so only the identities given count.
 * The MAC is verified by sops; a failure is a {@link DecryptError} whose message is
 * sops's first line (it names keys and recipients, never values).
 */
export function decryptSops(m: Manifest, identities: string, timeoutMs = 30_000): Manifest {
  const plain = plainSecretValues(m);
  if (plain.length > 0) throw new DecryptError('half-encrypted', `half-encrypted: ${plain.join(', ')} not encrypted (encrypt the whole file again with synthops secret encrypt)`);
  const sops = findTool('sops');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sops-'));
  try {
    const r = spawnSync(sops.path, ['--disable-version-check', 'decrypt', '--input-type', 'json', '--output-type', 'json', '/dev/stdin'], {
      input: JSON.stringify(m),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: home, SOPS_AGE_KEY: identities },
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    if (r.error) throw new DecryptError('failed', `sops ${sops.version}: ${r.error.message}`);
    if (r.status !== 0) {
      const first = r.stderr.split('\n').find((l) => l.trim()) ?? `exit ${r.status}`;
      throw new DecryptError(EXIT_FAILURE[r.status ?? -1] ?? 'failed', first.replace(/File has [0-9A-F]+, computed [0-9A-F]+/, 'the document was changed after it was encrypted'));
    }
    return JSON.parse(r.stdout) as Manifest;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
