import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../model/errors';

/**
 * Where the config repo gets synthops from: a registry version range, or a tarball
 * packed from a folder (a checkout, or a copy installed from a tarball) into `vendor/`.
 */
export type SynthopsSource =
  | { readonly kind: 'registry'; readonly range: string }
  | {
      readonly kind: 'pack';
      /** The folder `npm pack` runs in. */
      readonly dir: string;
      /** Whether it is a checkout that `npm pack` builds first (its `prepare` script); an installed copy is packed as it is. */
      readonly build: boolean;
      /** Its package.json version: the tarball is `synthops-<version>.tgz`. */
      readonly version: string;
    };

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/** Reads `<dir>/package.json`; undefined when there is none. */
export function readPackageJson(dir: string): PackageJson | undefined {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;
}

/**
 * The version of `dep` a synthops package is built and tested with: its exact
 * dependency, else its devDependency (a peer dependency is pinned there), else the
 * peer range. @default - undefined: synthops does not use `dep`
 */
export function usedVersion(pkg: PackageJson, dep: string): string | undefined {
  return pkg.dependencies?.[dep] ?? pkg.devDependencies?.[dep] ?? pkg.peerDependencies?.[dep];
}

/**
 * How npm recorded the installation of the package in `root` (`resolved` of its
 * entry in the hidden lockfile of the `node_modules` it sits in, or of the lockfile
 * next to that). @default - undefined: not inside a node_modules, or not recorded
 */
function resolvedOf(root: string): string | undefined {
  const parts = root.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const nodeModules = parts.slice(0, at + 1).join(path.sep);
  const key = ['node_modules', ...parts.slice(at + 1)].join('/');
  for (const lock of [
    path.join(nodeModules, '.package-lock.json'),
    path.join(path.dirname(nodeModules), 'package-lock.json'),
  ]) {
    if (!fs.existsSync(lock)) continue;
    const entry = (JSON.parse(fs.readFileSync(lock, 'utf8')) as { packages?: Record<string, { resolved?: string }> })
      .packages?.[key];
    if (entry) return entry.resolved ?? '';
  }
  return undefined;
}

/**
 * Where the synthops package in `root` came from, so a config repo made with it can
 * `npm ci` on a fresh clone: installed from a registry, it names that version; a
 * checkout (outside any node_modules) or a copy installed from a file or folder is
 * packed into `vendor/`.
 */
export function detectSource(root: string): SynthopsSource {
  const real = fs.realpathSync(root);
  const version = readPackageJson(real)?.version ?? '0.0.0';
  const inNodeModules = real.split(path.sep).includes('node_modules');
  if (!inNodeModules) return { kind: 'pack', dir: real, build: true, version };
  const resolved = resolvedOf(real);
  // Not recorded (an older npm, a global install without a hidden lockfile): npm
  // installs from a registry unless told otherwise.
  if (resolved === undefined || /^https?:\/\//.test(resolved)) return { kind: 'registry', range: `^${version}` };
  return { kind: 'pack', dir: real, build: false, version };
}

/** `init --from <dir>`: pack the synthops package in `dir` (a checkout, built on the way, or an installed copy). */
export function sourceFrom(dir: string): SynthopsSource {
  const real = path.resolve(dir);
  const pkg = readPackageJson(real);
  if (pkg?.name !== 'synthops') throw new UsageError(`--from: ${real} does not hold the synthops package`);
  // A checkout has its sources and builds lib/ while packing; an installed copy has only lib/.
  return { kind: 'pack', dir: real, build: fs.existsSync(path.join(real, 'src')), version: pkg.version ?? '0.0.0' };
}
