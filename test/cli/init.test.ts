import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors';
import { scaffold } from '../../src/init/scaffold';
import { synth } from '../../src/synth/synth';
import { linkNodeModules } from '../harness/config-repo';

describe('synthops init', () => {
  test('scaffolds a config repo that synths out of the box', (t) => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-init-')), 'My Config');
    t.after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
    const files = scaffold(dir, { synthopsVersion: '^0.1.0' });
    assert.deepEqual(files, ['.gitignore', 'apps/environments.ts', 'apps/hello.ts', 'apps/images.yaml', 'cdk8s.yaml', 'package.json', 'tsconfig.json']);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'my-config');
    assert.equal(pkg.dependencies.synthops, '^0.1.0');
    assert.match(pkg.dependencies['cdk8s-plus-28'], /^\d+\.\d+\.\d+$/);

    linkNodeModules(dir);
    const r = synth({ root: dir });
    assert.deepEqual(r.issues, []);
    assert.deepEqual(r.index.apps.map((a) => `${a.env}/${a.app}`), ['dev/hello', 'prod/hello']);
    assert.ok(fs.existsSync(path.join(dir, 'dist/prod/hello/deployment-hello.yaml')));
  });

  test('refuses a folder that is not empty', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-init-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    assert.throws(() => scaffold(dir, { synthopsVersion: '^0.1.0' }), (e: Error) => e instanceof UsageError && /is not empty; synthops init only writes into an empty or new folder/.test(e.message));
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
  });
});
