/**
 * Real age keys and real sops encryption for tests: keys made by age-keygen, files
 * encrypted by the pinned sops with a `.sops.yaml` like the README's, in a folder of
 * the test's own (sops sees an empty home there, so no key of the machine counts).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import * as YAML from 'yaml';
import { Manifest } from '../../src/model/manifest';
import { findTool } from '../../src/render/tools';

/** An age key pair. */
export interface AgeKey {
  /** The identity file's content (`AGE-SECRET-KEY-…` with comments), as `age-keygen` writes it. */
  readonly identity: string;
  /** The public key, `age1…`. */
  readonly recipient: string;
}

/** A new age key pair from the real age-keygen. */
export function ageKey(): AgeKey {
  const identity = execFileSync(findTool('age-keygen').path, [], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recipient = /public key: (age1[0-9a-z]+)/.exec(identity)?.[1];
  if (!recipient) throw new Error('age-keygen printed no public key');
  return { identity, recipient };
}

/** A `.sops.yaml` with one rule: `*.sops.yaml` files, data and stringData encrypted, for `recipients`. */
export function sopsConfig(recipients: readonly string[], pathRegex = '\\.sops\\.yaml$'): string {
  return `creation_rules:\n  - path_regex: ${pathRegex}\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipients.join(',')}\n`;
}

/** Runs the real sops in `cwd` with an empty home; `env` adds variables (SOPS_AGE_KEY, EDITOR). */
export function runSops(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sops-home-'));
  try {
    return execFileSync(findTool('sops').path, ['--disable-version-check', ...args], {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** `secret` encrypted by the real sops for `recipients` (the README's rule); returns the file's text. */
export function encryptSecret(t: TestContext, secret: Manifest, recipients: readonly string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sops-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, '.sops.yaml'), sopsConfig(recipients));
  fs.writeFileSync(path.join(dir, 'secret.sops.yaml'), YAML.stringify(secret));
  runSops(dir, ['encrypt', '--in-place', 'secret.sops.yaml']);
  return fs.readFileSync(path.join(dir, 'secret.sops.yaml'), 'utf8');
}

/** The encrypted document as the agent loads it (YAML 1.2, key order kept). */
export function encryptedManifest(t: TestContext, secret: Manifest, recipients: readonly string[]): Manifest {
  return YAML.parse(encryptSecret(t, secret, recipients)) as Manifest;
}

/** A v1 Secret with `stringData`. */
export function plainSecret(name: string, ns: string, stringData: Record<string, string>): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: ns },
    type: 'Opaque',
    stringData,
  } as Manifest;
}

/** A `stringData` value of a (decrypted) Secret. */
export function stringValue(m: Manifest, key: string): unknown {
  return (m.stringData as Record<string, unknown> | undefined)?.[key];
}

/** A SOPS document as tests tamper with it: every part writable. */
export type Tamperable = Manifest & {
  metadata: Record<string, unknown>;
  stringData: Record<string, unknown>;
  sops: Record<string, unknown>;
} & Record<string, unknown>;

/** A deep copy to tamper with. */
export function tamperable(m: Manifest): Tamperable {
  return structuredClone(m) as Tamperable;
}
