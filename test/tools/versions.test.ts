/**
 * The tool versions pinned in test/tools/versions.sh (what build.sh and the
 * Dockerfile build) and in src/render/tools.ts (what the locator looks for) agree,
 * and so do the two cache-folder formulas. Pure logic: nothing is built here.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { TOOL_VERSIONS, parseVersion, toolsBinDir } from '../../src/render/tools';

/** `NAME=value` assignments of a shell file that only sets variables. */
function shellVars(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(\S+)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

test('TOOL_VERSIONS matches versions.sh', () => {
  const sh = shellVars(path.join(__dirname, 'versions.sh'));
  assert.deepEqual(sh, {
    KUSTOMIZE_VERSION: TOOL_VERSIONS.kustomize,
    HELM_VERSION: TOOL_VERSIONS.helm,
    SOPS_VERSION: TOOL_VERSIONS.sops,
    AGE_VERSION: TOOL_VERSIONS.age,
  });
});

test('toolsBinDir uses the cache key build.sh computes', () => {
  // Evaluates build.sh's own `key=` line after versions.sh, without running the build.
  const key = execFileSync('bash', ['-c', '. ./versions.sh; eval "$(grep "^key=" ./build.sh)"; printf %s "$key"'], {
    cwd: __dirname,
    encoding: 'utf8',
  });
  assert.ok(key.length > 0);
  assert.equal(toolsBinDir({ SYNTHOPS_TOOLS_CACHE: '/c' }), path.join('/c', key, 'bin'));
});

test('toolsBinDir: SYNTHOPS_TOOLS_CACHE, then XDG_CACHE_HOME, then HOME; empty counts as unset', () => {
  const key = path.basename(path.dirname(toolsBinDir({ SYNTHOPS_TOOLS_CACHE: '/c' })));
  assert.equal(toolsBinDir({ SYNTHOPS_TOOLS_CACHE: '/c', XDG_CACHE_HOME: '/x' }), `/c/${key}/bin`);
  assert.equal(
    toolsBinDir({ SYNTHOPS_TOOLS_CACHE: '', XDG_CACHE_HOME: '/x', HOME: '/h' }),
    `/x/synthops/tools/${key}/bin`,
  );
  assert.equal(toolsBinDir({ XDG_CACHE_HOME: '', HOME: '/h' }), `/h/.cache/synthops/tools/${key}/bin`);
});

test("parseVersion reads each tool's version output", () => {
  assert.equal(parseVersion('v5.8.1\n'), 'v5.8.1'); // kustomize version
  assert.equal(parseVersion('v4.3.2+gabcdef1\n'), 'v4.3.2+gabcdef1'); // helm version --short
  assert.equal(parseVersion('sops 3.13.3\n'), 'v3.13.3'); // sops --version
  assert.equal(parseVersion('v1.3.2-rc.1\n'), 'v1.3.2-rc.1');
  assert.equal(parseVersion('(devel)\n'), undefined);
});
