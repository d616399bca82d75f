/**
 * The tool locator against the real binaries built by test/tools/build.sh (test/run.ts
 * builds them first and exports their folder as SYNTHOPS_TOOLS_BIN): each tool is
 * found where build.sh put it and reports the pinned version; a bad override is a
 * typed error.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { SynthopsError } from '../../src/model/errors';
import {
  ToolName,
  ToolNotFoundError,
  ToolVersionError,
  envVarOf,
  findTool,
  pinnedVersion,
  toolsBinDir,
} from '../../src/render/tools';

const TOOLS: readonly ToolName[] = ['kustomize', 'helm', 'sops', 'age', 'age-keygen'];

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-tools-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('findTool', () => {
  for (const name of TOOLS) {
    test(`${name}: found, at the pinned version`, () => {
      const tool = findTool(name);
      assert.equal(tool.name, name);
      assert.equal(tool.version, pinnedVersion(name));
      if (!process.env[envVarOf(name)]) {
        // The locator's cache formula is build.sh's: it finds the binary where build.sh put it.
        assert.equal(path.dirname(tool.path), toolsBinDir());
        if (process.env.SYNTHOPS_TOOLS_BIN) assert.equal(path.dirname(tool.path), process.env.SYNTHOPS_TOOLS_BIN);
      }
    });
  }

  test('an override is used as given', () => {
    const real = findTool('helm').path;
    const tool = findTool('helm', {
      env: { ...process.env, SYNTHOPS_HELM: real, SYNTHOPS_TOOLS_CACHE: '/nonexistent' },
    });
    assert.equal(tool.path, real);
    assert.equal(tool.version, pinnedVersion('helm'));
  });

  test('an override pointing at a missing file is a ToolNotFoundError, without falling back', () => {
    const missing = '/nonexistent/synthops/helm';
    const err = (() => {
      try {
        findTool('helm', { env: { ...process.env, SYNTHOPS_HELM: missing } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ToolNotFoundError, String(err));
    assert.ok(err instanceof SynthopsError);
    assert.equal(err.tool, 'helm');
    assert.deepEqual(err.searched, [{ source: 'SYNTHOPS_HELM', path: missing, problem: 'missing' }]);
    assert.match(err.message, /^helm not found/);
    assert.ok(err.message.includes(missing));
    assert.ok(err.message.includes('npm run tools:build'));
  });

  test('an override pointing at a non-executable file is a ToolNotFoundError', (t) => {
    const file = path.join(tmpDir(t), 'sops');
    fs.writeFileSync(file, 'not a binary\n', { mode: 0o644 });
    assert.throws(
      () => findTool('sops', { env: { ...process.env, SYNTHOPS_SOPS: file } }),
      (e: unknown) => e instanceof ToolNotFoundError && e.searched[0].problem === 'not an executable file',
    );
  });

  test('a binary whose version query fails is a ToolVersionError', (t) => {
    const file = path.join(tmpDir(t), 'kustomize');
    fs.writeFileSync(file, '#!/bin/sh\necho broken >&2\nexit 3\n', { mode: 0o755 });
    assert.throws(
      () => findTool('kustomize', { env: { ...process.env, SYNTHOPS_KUSTOMIZE: file } }),
      (e: unknown) => e instanceof ToolVersionError && e.tool === 'kustomize' && e.path === file,
    );
  });
});
