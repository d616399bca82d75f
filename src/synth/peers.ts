/**
 * One copy of cdk8s, constructs and cdk8s-plus: they are peer dependencies of synthops,
 * because two copies do not mix (a cdk8s-plus object built with the config repo's cdk8s
 * and rendered by synthops's fails with "can't render non-simple object of type
 * 'Lazy'"; a Construct of one copy is no scope for the other). A config repo that links
 * synthops from a checkout (`npm install ../synthops` makes a symlink) resolves them
 * from the checkout's node_modules too; synth says so before loading anything.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../model/errors';

/** A peer dependency the config repo and synthops resolve to different folders. */
export interface DuplicatePeer {
  readonly name: string;
  /** The copy the config repo's modules load. */
  readonly configCopy: string;
  /** The copy synthops itself loads. */
  readonly synthopsCopy: string;
}

/** The peers whose copies must be one. */
export const PEER_PACKAGES = ['cdk8s', 'constructs', 'cdk8s-plus-28'] as const;

function packageFolder(name: string, from: string | undefined): string | undefined {
  try {
    const file = require.resolve(`${name}/package.json`, from ? { paths: [from] } : undefined);
    return fs.realpathSync(path.dirname(file));
  } catch {
    return undefined;
  }
}

/** The peers the config repo at `root` loads from another folder than synthops does. */
export function duplicatePeers(root: string): DuplicatePeer[] {
  const out: DuplicatePeer[] = [];
  for (const name of PEER_PACKAGES) {
    const configCopy = packageFolder(name, root);
    const synthopsCopy = packageFolder(name, undefined);
    if (configCopy && synthopsCopy && configCopy !== synthopsCopy) out.push({ name, configCopy, synthopsCopy });
  }
  return out;
}

/** Throws a {@link ConfigError} naming every duplicate peer and how to install synthops so there is one copy. */
export function checkPeers(root: string): void {
  const dups = duplicatePeers(root);
  if (dups.length === 0) return;
  const list = dups.map((d) => `${d.name} at ${d.configCopy} (the config repo's) and ${d.synthopsCopy} (synthops's)`);
  throw new ConfigError(
    'package.json',
    `two copies of ${dups.map((d) => d.name).join(', ')}: ${list.join('; ')}. ` +
      'cdk8s, constructs and cdk8s-plus-28 are peer dependencies of synthops and must be one copy ' +
      "(two break cdk8s-plus with \"can't render non-simple object of type 'Lazy'\"). " +
      'Install synthops as a package, not as a link to a checkout: `npm install --install-links <checkout>`, ' +
      'or a tarball made with `npm pack` in the checkout; then `npm ls cdk8s` shows one copy.',
  );
}
