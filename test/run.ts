/**
 * `npm test`: runs every test file with node's test runner. Cluster tests need the
 * local control plane: unless SYNTHOPS_TEST_KUBECONFIG points at a cluster, this
 * starts one for the whole run (or reuses a running one) and stops it at the end
 * if it started it. Tests under test/render/ and test/agent/render.test.ts run the real
 * kustomize, helm, sops and age: those are built first (or reused) by
 * test/tools/build.sh, whose bin folder is exported as SYNTHOPS_TOOLS_BIN. `--unit`
 * runs only the tests that need no cluster.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { down, isHealthy, readState, up } from './cluster/plane';

const ROOT = path.resolve(__dirname, '..');
// Test files that talk to a cluster live in these folders.
const CLUSTER_DIRS = ['cluster', 'agent', 'e2e', 'ui'];
// Test files that run the built tools live in these folders, or are one of these files.
const TOOLS_DIRS = ['render'];
const TOOLS_FILES = ['agent/render.test.ts'];

function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'kwok' || e.name === 'fixtures' ? [] : findTests(p);
      return e.name.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

async function main(): Promise<number> {
  const unitOnly = process.argv.includes('--unit');
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  let files = findTests(__dirname);
  if (filters.length > 0) files = files.filter((f) => filters.some((x) => f.includes(x)));
  const needsCluster = (f: string) => CLUSTER_DIRS.includes(path.relative(__dirname, f).split(path.sep)[0]);
  const needsTools = (f: string) =>
    TOOLS_DIRS.includes(path.relative(__dirname, f).split(path.sep)[0]) ||
    TOOLS_FILES.includes(path.relative(__dirname, f).split(path.sep).join('/'));
  if (unitOnly) files = files.filter((f) => !needsCluster(f));

  let started = false;
  const env = { ...process.env };
  if (files.some(needsTools)) {
    // Instant once built; progress of a cold build goes to our stderr.
    const out = execFileSync('bash', [path.join(__dirname, 'tools', 'build.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    env.SYNTHOPS_TOOLS_BIN = out.toString().trim().split('\n').pop();
  }
  if (files.some(needsCluster) && !env.SYNTHOPS_TEST_KUBECONFIG) {
    const wasRunning = await isHealthy(readState());
    const state = await up();
    started = !wasRunning;
    env.SYNTHOPS_TEST_KUBECONFIG = state.kubeconfig;
  }
  try {
    const r = spawnSync(
      process.execPath,
      [
        '--require',
        'ts-node/register/transpile-only',
        '--test',
        '--test-reporter=spec',
        ...files.map((f) => path.relative(ROOT, f)),
      ],
      { cwd: ROOT, env, stdio: 'inherit' },
    );
    return r.status ?? 1;
  } finally {
    if (started) await down();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    process.stderr.write(`test run failed before the tests: ${e.message}\n`);
    process.exitCode = 1;
  },
);
