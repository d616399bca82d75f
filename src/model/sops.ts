/**
 * What synthops knows of a SOPS document without decrypting it: that it is one, whom
 * it is encrypted for, and whether it is whole. Pure, so synth, diff and the agent
 * read documents the same way. The document is never changed: SOPS's MAC covers its
 * values in order, so one added label or one sorted key makes it undecryptable.
 */
import { Manifest } from './manifest';
import { sha256 } from './hash';

/** The top-level key SOPS keeps its metadata in (Kubernetes objects have no such field). */
export const SOPS_KEY = 'sops';

/** The encrypted form of a value: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`. */
const ENCRYPTED = /^ENC\[[A-Z0-9_]+,data:.*\]$/s;

/** Whether a value is SOPS ciphertext. */
export function isEncryptedValue(v: unknown): boolean {
  return typeof v === 'string' && ENCRYPTED.test(v);
}

/** Whether an object is a SOPS document: it carries a top-level `sops` map. */
export function isSopsDocument(m: unknown): boolean {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return false;
  const sops = (m as Record<string, unknown>)[SOPS_KEY];
  return typeof sops === 'object' && sops !== null && !Array.isArray(sops);
}

/** The age recipients a SOPS document is encrypted for, as written in it (top level and key groups). */
export function sopsRecipients(m: Manifest): string[] {
  const sops = (m as unknown as Record<string, { age?: unknown; key_groups?: unknown } | undefined>)[SOPS_KEY];
  const groups = Array.isArray(sops?.key_groups) ? (sops.key_groups as Array<{ age?: unknown }>) : [];
  const out: string[] = [];
  for (const list of [sops?.age, ...groups.map((g) => g?.age)]) {
    if (!Array.isArray(list)) continue;
    for (const a of list as Array<{ recipient?: unknown }>) if (typeof a?.recipient === 'string') out.push(a.recipient);
  }
  return out;
}

/**
 * Values under `data`/`stringData` left in plain text in a SOPS document (`data.key`
 * paths, never values). SOPS would carry them along (outside the MAC with
 * `mac_only_encrypted`), so a half-encrypted Secret is refused rather than applied
 * with a value nobody encrypted.
 */
export function plainSecretValues(m: Manifest): string[] {
  const out: string[] = [];
  for (const field of ['data', 'stringData'] as const) {
    const values = (m as unknown as Record<string, unknown>)[field];
    if (values === undefined || values === null) continue;
    if (typeof values !== 'object' || Array.isArray(values)) {
      out.push(field);
      continue;
    }
    for (const [k, v] of Object.entries(values as Record<string, unknown>))
      if (!isEncryptedValue(v)) out.push(`${field}.${k}`);
  }
  return out;
}

/**
 * Identity fields (apiVersion, kind, metadata.name, metadata.namespace) that are
 * encrypted: the agent, synth and the index need them in clear, so only `data` and
 * `stringData` may be (`encrypted_regex: ^(data|stringData)$`).
 */
export function encryptedIdentity(m: Manifest): string[] {
  const meta = (m.metadata ?? {}) as unknown as Record<string, unknown>;
  return [
    ['apiVersion', m.apiVersion],
    ['kind', m.kind],
    ['metadata', typeof m.metadata === 'object' ? undefined : m.metadata],
    ['metadata.name', meta.name],
    ['metadata.namespace', meta.namespace],
  ]
    .filter(([, v]) => isEncryptedValue(v))
    .map(([k]) => k as string);
}

/**
 * The digest the agent records on an object it decrypted (`synthops.dev/digest`): of
 * the encrypted document as it is in Git, so `diff --cluster`, which has no key, can
 * tell whether the live object was applied from this very document.
 */
export function encryptedDigest(m: Manifest): string {
  return `sha256:${sha256(JSON.stringify(m))}`;
}
