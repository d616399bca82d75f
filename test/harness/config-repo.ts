/**
 * Temporary config repos for synth tests: a folder with apps/ that imports
 * `synthops`, `cdk8s` and friends exactly as a user's repo does, resolved to this
 * checkout (the built lib/) through a node_modules of symlinks.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';

/** Root of this checkout. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const LINKED = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml'];

/** Gives `dir` a node_modules where `synthops` is this checkout. */
export function linkNodeModules(dir: string): void {
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(nm, 'synthops'), 'dir');
  for (const pkg of LINKED) fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', pkg), path.join(nm, pkg), 'dir');
}

/** A standard environments module: dev and a production `prod`. */
export const ENVIRONMENTS = `import { defineEnvironments } from 'synthops';
export default defineEnvironments({
  dev: { defaults: { replicas: 1 } },
  prod: { production: true, defaults: { replicas: 3 } },
});
`;

/** Resources every WebService in the fixtures uses. */
export const RESOURCES = `{ cpu: { request: '50m', limit: '100m' }, memory: { request: '32Mi', limit: '64Mi' } }`;

/**
 * Creates a temporary config repo with the given files (path -> content) and
 * removes it when the test ends. `apps/environments.ts` defaults to {@link ENVIRONMENTS}.
 */
export function makeRepo(t: TestContext, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-repo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const all = { 'apps/environments.ts': ENVIRONMENTS, ...files };
  for (const [rel, content] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  linkNodeModules(dir);
  return dir;
}

/** Every file under `dir` (relative path -> bytes), for byte-for-byte comparisons. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}
