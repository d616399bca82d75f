import * as fs from 'fs';
import * as path from 'path';
import { NpmError, runNpm } from './npm';
import { SynthopsSource } from './synthops-source';

/** The folder of the config repo that holds the packed synthops. */
export const VENDOR_DIR = 'vendor';

/** The package.json spec of a packed synthops: a path a fresh clone can `npm ci` from. */
export function vendorSpec(version: string): string {
  return `file:${VENDOR_DIR}/${tarballName(version)}`;
}

function tarballName(version: string): string {
  return `synthops-${version}.tgz`;
}

/**
 * Packs synthops (`npm pack`) into `<target>/vendor/`. A checkout is built by its own
 * `prepare` script on the way; an installed copy already holds its build and is packed
 * without scripts. Returns the tarball's path relative to `target`.
 */
export function packInto(source: Extract<SynthopsSource, { kind: 'pack' }>, target: string): string {
  const vendor = path.join(target, VENDOR_DIR);
  fs.mkdirSync(vendor, { recursive: true });
  runNpm(['pack', '--pack-destination', vendor, ...(source.build ? [] : ['--ignore-scripts'])], source.dir);
  const rel = `${VENDOR_DIR}/${tarballName(source.version)}`;
  if (!fs.existsSync(path.join(target, rel)))
    throw new NpmError(['pack'], 0, `it did not write ${rel} (in ${source.dir})`);
  return rel;
}

/**
 * Writes package-lock.json without installing, from npm's cache where it can, so
 * `npm ci` works in CI on a fresh clone.
 */
export function writeLockfile(target: string): void {
  runNpm(['install', '--package-lock-only', '--prefer-offline', '--no-audit', '--no-fund'], target);
}
