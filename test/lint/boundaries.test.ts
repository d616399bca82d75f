import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANY, checkBoundaries, checkTable, importsOf, LAYERS, layerOf } from './boundaries';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(__dirname, 'boundaries.ts');

/** A copy of src/ in a temporary folder, with `files` (path under src/ -> text) written over it. */
function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-boundaries-'));
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'src', rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src', rel), text);
  }
  return dir;
}

describe('import boundaries', () => {
  test('the layer table names only layers and allows no cycle', () => {
    assert.deepEqual(checkTable(), []);
    const cyclic = checkTable({ ...LAYERS, model: ['cli'] });
    assert.equal(cyclic.length, 1);
    assert.match(cyclic[0], /^the table allows a cycle: (.+ -> )?model -> cli -> /);
    assert.deepEqual(checkTable({ ...LAYERS, cli: ANY, git: ['nope'] }), ['git lists "nope", which is not a layer']);
  });

  test('the real src/ keeps every rule', () => {
    const report = checkBoundaries(ROOT);
    assert.deepEqual(report.violations, []);
    assert.ok(report.files.includes('src/model/manifest.ts'), 'it read the tree');
    assert.ok(report.crossings > 0, 'it saw imports across folders');
  });

  describe('a tree with upward imports', () => {
    let dir = '';
    before(() => {
      dir = scratch({
        'model/upward.ts': "import { KubeClient } from '../kube/client';\nexport type K = KubeClient;\n",
        'kube/upward.ts': "export { InventoryStore } from '../agent/state/inventory';\n",
      });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('fails naming the file, the import and the rule', () => {
      const { violations } = checkBoundaries(dir);
      const boundary = violations.filter((v) => v.rule === 'layer-boundary');
      assert.deepEqual(
        boundary.map((v) => [v.file, v.line, v.specifier]),
        [
          ['src/kube/upward.ts', 1, '../agent/state/inventory'],
          ['src/model/upward.ts', 1, '../kube/client'],
        ],
      );
      assert.match(boundary[0].message, /kube may not import agent\/state; kube may import model$/);
      assert.match(boundary[1].message, /model may not import kube; model may import nothing of ours$/);
    });

    test('reports the cycles those imports close between folders', () => {
      const cycles = checkBoundaries(dir).violations.filter((v) => v.rule === 'folder-cycle');
      // model -> kube -> model, and kube -> agent/state -> kube: one strongly connected group.
      assert.equal(cycles.length, 1);
      assert.match(
        cycles[0].message,
        /folders agent\/state, kube, model import each other; one cycle: agent\/state -> kube -> agent\/state/,
      );
      assert.match(cycles[0].message, /src\/kube\/upward\.ts:1 imports '\.\.\/agent\/state\/inventory'/);
    });

    test('the command exits 1 and prints file, line, rule and import', () => {
      const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', SCRIPT, dir], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^src\/model\/upward\.ts:1: layer-boundary: .*imports '\.\.\/kube\/client'/m);
      assert.match(r.stderr, /^src\/kube\/upward\.ts:1: layer-boundary: .*imports '\.\.\/agent\/state\/inventory'/m);
      assert.match(r.stderr, /: folder-cycle: /);
    });
  });

  test('every way of naming a module counts, resolved to the folder it reaches', () => {
    const dir = scratch({
      'model/forms.ts': [
        "const a = require('../kube/client');",
        "const b = import('../git/client');",
        "import c = require('../author/index');",
        "export type D = import('../synth/synth').SynthOptions;",
        "import '../model/../init/scaffold';",
        "import { e } from '..';",
        "import f from 'synthops';",
        "import * as g from '../../bench/workload';",
        "import h from './manifest';",
        "import * as fs from 'fs';",
        'const s = "import x from \'../kube/client\'"; // text in a string is no import',
        'export const all = [a, b, c, e, f, g, h, fs, s];',
      ].join('\n'),
      'agent/stray.ts': "import { x } from '../model/hash';\nexport const y = x;\n",
    });
    try {
      const got = checkBoundaries(dir).violations.filter((v) => v.rule !== 'folder-cycle');
      assert.deepEqual(
        got.map((v) => [v.rule, v.file, v.line, v.specifier]),
        [
          ['unknown-folder', 'src/agent/stray.ts', 1, ''],
          ['layer-boundary', 'src/model/forms.ts', 1, '../kube/client'],
          ['layer-boundary', 'src/model/forms.ts', 2, '../git/client'],
          ['layer-boundary', 'src/model/forms.ts', 3, '../author/index'],
          ['layer-boundary', 'src/model/forms.ts', 4, '../synth/synth'],
          ['layer-boundary', 'src/model/forms.ts', 5, '../model/../init/scaffold'],
          ['layer-boundary', 'src/model/forms.ts', 6, '..'],
          ['layer-boundary', 'src/model/forms.ts', 7, 'synthops'],
          ['outside-src', 'src/model/forms.ts', 8, '../../bench/workload'],
        ],
      );
      assert.match(got[6].message, /model may not import index\.ts/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('import forms are read by the parser, not by matching text', () => {
    const refs = importsOf('x.ts', "/* import a from './a' */\nexport * from './b';\nconst c = require(name);\n");
    assert.deepEqual(refs, [{ kind: 'export', specifier: './b', line: 2 }]);
  });

  test('the deepest folder of the table is the layer', () => {
    assert.equal(layerOf('agent/plan/order.ts'), 'agent/plan');
    assert.equal(layerOf('agent/plan'), 'agent/plan');
    assert.equal(layerOf('agent/order.ts'), undefined);
    assert.equal(layerOf('author'), 'author');
    assert.equal(layerOf('index.ts'), 'index.ts');
    assert.equal(layerOf('index'), 'index.ts');
    assert.equal(layerOf('other.ts'), undefined);
  });
});
