import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { SynthopsError, UsageError } from '../model/errors';
import { Manifest } from '../model/manifest';
import { encryptedIdentity, isSopsDocument, plainSecretValues } from '../model/sops';
import { findTool } from '../render/tools';
import { SOPS_CONFIG_FILE } from '../synth/sops-rules';
import { Output } from './output';

/** Flags of `synthops secret encrypt|edit`. */
export interface SecretCommandOptions {
  /** `--root`: the config repo root, where `.sops.yaml` is and sops runs. */
  readonly root: string;
}

/** sops's exit code when `edit` saved nothing (getsops/sops `cmd/sops/codes`). */
const FILE_NOT_MODIFIED = 200;

/** The file, checked to be inside the repo root, relative to it ("/" separated: path_regex matches this). */
function repoPath(root: string, file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(root, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel))
    throw new UsageError(`${file} is not inside the config repo ${root} (-C/--root)`);
  if (!fs.existsSync(abs)) throw new UsageError(`${file}: no such file`);
  if (!fs.existsSync(path.join(root, SOPS_CONFIG_FILE)))
    throw new UsageError(
      `${root} has no ${SOPS_CONFIG_FILE}: create one with a creation rule for your age recipients (see the README, "Secrets with SOPS")`,
    );
  return rel.split(path.sep).join('/');
}

function documentOf(root: string, rel: string): Manifest | undefined {
  try {
    return YAML.parse(fs.readFileSync(path.join(root, rel), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** Runs sops from the repo root, on the terminal (edit opens the editor there). */
function sops(root: string, args: string[]): number {
  const tool = findTool('sops');
  const r = spawnSync(tool.path, ['--disable-version-check', ...args], { cwd: root, stdio: 'inherit' });
  if (r.error) throw new SynthopsError(`sops ${tool.version}: ${r.error.message}`);
  return r.status ?? 1;
}

/** Why a freshly encrypted document is not what the agent can use; undefined when it is. */
function wholeProblem(m: Manifest | undefined): string | undefined {
  if (!m || !isSopsDocument(m)) return 'sops wrote no SOPS document';
  const identity = encryptedIdentity(m);
  if (identity.length > 0)
    return `the ${SOPS_CONFIG_FILE} rule encrypted ${identity.join(', ')}: add encrypted_regex: ^(data|stringData)$ to it, decrypt the file and encrypt it again`;
  const plain = plainSecretValues(m);
  if (plain.length > 0)
    return `${plain.join(', ')} left in plain text: the rule's encrypted_regex must cover data and stringData`;
  return undefined;
}

/**
 * `synthops secret encrypt FILE`: encrypts a plain Secret in place with the creation
 * rule of the repo's `.sops.yaml` (sops picks it by the file's path from the root).
 */
export function runSecretEncrypt(file: string, opts: SecretCommandOptions, io: Output): number {
  const root = path.resolve(opts.root);
  const rel = repoPath(root, file);
  if (isSopsDocument(documentOf(root, rel)))
    throw new UsageError(`${rel} is already SOPS-encrypted; change it with synthops secret edit ${rel}`);
  const code = sops(root, ['encrypt', '--in-place', rel]);
  if (code !== 0) {
    io.err(`error: sops could not encrypt ${rel} (exit ${code}); the file is unchanged`);
    return 1;
  }
  const problem = wholeProblem(documentOf(root, rel));
  if (problem) {
    io.err(`error: ${rel}: ${problem}`);
    return 1;
  }
  io.out(`encrypted ${rel}; commit it, and use it with new SopsSecret(app, id, { file: '${rel}' })`);
  return 0;
}

/**
 * `synthops secret edit FILE`: decrypts into $EDITOR and encrypts again on save, with
 * the keys and rules sops finds (your age identity: SOPS_AGE_KEY_FILE or sops's default
 * key file). The plaintext lives only in sops's temporary file while the editor runs.
 */
export function runSecretEdit(file: string, opts: SecretCommandOptions, io: Output): number {
  if (!process.env.EDITOR && !process.env.SOPS_EDITOR)
    throw new UsageError('secret edit needs an editor: set EDITOR (or SOPS_EDITOR)');
  const root = path.resolve(opts.root);
  const rel = repoPath(root, file);
  if (!isSopsDocument(documentOf(root, rel)))
    throw new UsageError(`${rel} is not SOPS-encrypted; encrypt it first with synthops secret encrypt ${rel}`);
  const code = sops(root, ['edit', rel]);
  if (code === FILE_NOT_MODIFIED) {
    io.out(`${rel} unchanged`);
    return 0;
  }
  if (code !== 0) {
    io.err(`error: sops could not edit ${rel} (exit ${code}); the file is unchanged`);
    return 1;
  }
  const problem = wholeProblem(documentOf(root, rel));
  if (problem) {
    io.err(`error: ${rel}: ${problem}`);
    return 1;
  }
  io.out(`re-encrypted ${rel}`);
  return 0;
}
