import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Manifest, describeObject, identityKey, refOf } from '../model/manifest';
import { SynthopsError } from '../model/errors';
import { encryptedIdentity, isSopsDocument, plainSecretValues } from '../model/sops';
import { findTool } from './tools';

/** Why a SOPS document could not be decrypted. */
export type DecryptFailure =
  /** The document was changed after encryption: its MAC, or a value's own authentication tag, does not match. */
  | 'mac-mismatch'
  /** None of the identities opens the document (wrong key, encrypted for other recipients, or no key at all). */
  | 'no-key'
  /** Values the encryption should cover are in plain text next to encrypted ones. */
  | 'half-encrypted'
  /** Anything else sops refused (malformed metadata, identity fields encrypted, sops missing). */
  | 'failed';

/**
 * A SOPS document was not decrypted. The message is synthops's own: sops's error
 * text is never passed on, because some of it quotes the values it could not read
 * (`Input string … does not match`) or a MAC computed over the plaintext.
 */
export class DecryptError extends SynthopsError {
  constructor(
    public readonly failure: DecryptFailure,
    message: string,
  ) {
    super(message);
  }
}

/** What each of sops's documented exit codes (getsops/sops `cmd/sops/codes`) means here. */
const EXIT: Readonly<Record<number, { failure: DecryptFailure; message: string }>> = {
  24: { failure: 'mac-mismatch', message: 'its MAC does not decrypt: the sops metadata was changed after encryption' },
  25: {
    failure: 'mac-mismatch',
    message: 'a value does not decrypt: the ciphertext was changed after encryption, or copied from another file',
  },
  51: { failure: 'mac-mismatch', message: 'MAC mismatch: the document was changed after it was encrypted' },
  52: { failure: 'mac-mismatch', message: 'it has no MAC' },
  111: { failure: 'no-key', message: 'it names no key to decrypt it with' },
  128: { failure: 'no-key', message: 'none of the given age identities opens it' },
};

/**
 * The first clause of sops's message for an exit code it does not document: sops
 * writes `Fixed context: detail`, and only the fixed part is safe to show.
 */
function fixedClause(stderr: string): string {
  const first = stderr.split('\n').find((l) => l.trim()) ?? '';
  const clause = first.split(':')[0].trim();
  return /^[A-Za-z ,.'-]{1,80}$/.test(clause) ? clause : 'no reason given';
}

/** Runs sops with `input` on stdin in a clean environment; resolves to its exit code and output. */
function runSops(
  input: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  const sops = findTool('sops');
  return new Promise((resolve) => {
    const child = spawn(
      sops.path,
      ['--disable-version-check', 'decrypt', '--input-type', 'json', '--output-type', 'json'],
      { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let error: Error | undefined;
    const timer = setTimeout(() => {
      error = new Error(`timed out after ${timeoutMs} ms`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      error = e;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        error,
      });
    });
    child.stdin.on('error', () => undefined); // sops may exit before reading all of it; its exit code tells
    child.stdin.end(input);
  });
}

/**
 * Decrypts one SOPS document in memory with the real sops binary: the document on
 * stdin as JSON (key order kept, so the MAC verifies), the age identities in the
 * child's environment only, the plaintext on stdout. No file is written, and sops
 * runs in an empty home and working folder, so no key file or `.sops.yaml` of the
 * machine counts. sops verifies the MAC; a failure is a {@link DecryptError}.
 */
export async function decryptSops(m: Manifest, identities: string, timeoutMs = 30_000): Promise<Manifest> {
  const identity = encryptedIdentity(m);
  if (identity.length > 0)
    throw new DecryptError(
      'failed',
      `${identity.join(', ')} encrypted: encrypt only data and stringData (encrypted_regex: ^(data|stringData)$ in .sops.yaml)`,
    );
  const plain = plainSecretValues(m);
  if (plain.length > 0)
    throw new DecryptError(
      'half-encrypted',
      `half-encrypted: ${plain.join(', ')} not encrypted (encrypt the whole file again with synthops secret encrypt)`,
    );
  const home = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'synthops-sops-'));
  try {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: home,
      SOPS_AGE_KEY: identities,
    };
    const r = await runSops(JSON.stringify(m), env, home, timeoutMs);
    if (r.error) throw new DecryptError('failed', `sops did not run: ${r.error.message}`);
    if (r.code !== 0) {
      const known = EXIT[r.code ?? -1];
      throw new DecryptError(
        known?.failure ?? 'failed',
        known?.message ?? `sops refused it: ${fixedClause(r.stderr)} (exit ${r.code})`,
      );
    }
    let out: Manifest;
    try {
      out = JSON.parse(r.stdout) as Manifest;
    } catch {
      throw new DecryptError('failed', 'sops printed no JSON document');
    }
    // The identity is in clear and covered by the MAC, so this holds for every real file.
    if (!isSopsDocument(m) || identityKey(refOf(out)) !== identityKey(refOf(m)))
      throw new DecryptError('failed', `decrypted to another object (${describeObject(refOf(out))})`);
    return out;
  } finally {
    await fs.promises.rm(home, { recursive: true, force: true });
  }
}
