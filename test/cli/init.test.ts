import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as YAML from 'yaml';
import { UsageError } from '../../src/model/errors';
import { scaffold } from '../../src/init/scaffold';
import { synth } from '../../src/synth/synth';
import { linkNodeModules } from '../harness/config-repo';

describe('synthops init', () => {
  test('scaffolds a config repo that synths out of the box', (t) => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-init-')), 'My Config');
    t.after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
    const files = scaffold(dir, { synthopsVersion: '^0.1.0' });
    assert.deepEqual(files, [
      '.github/workflows/synthops.yml',
      '.gitignore',
      '.gitlab-ci.yml',
      'apps/environments.ts',
      'apps/hello.ts',
      'apps/images.yaml',
      'cdk8s.yaml',
      'package.json',
      'tsconfig.json',
    ]);
    // The CI templates: on pull requests `synthops diff`; on main `npm ci`, synth, publish.
    const gh = YAML.parse(fs.readFileSync(path.join(dir, '.github/workflows/synthops.yml'), 'utf8'));
    assert.match(JSON.stringify(gh.jobs.diff.steps), /npx synthops diff --repo/);
    assert.deepEqual(
      gh.jobs.publish.steps.map((s: { run?: string }) => s.run?.split(' ').slice(0, 3).join(' ')).filter(Boolean),
      ['npm ci', 'npx synthops synth', 'npx synthops publish'],
    );
    const gl = YAML.parse(fs.readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8'));
    assert.match(gl.diff.script[0], /^npx synthops diff /);
    assert.deepEqual(
      gl.publish.script.map((s: string) => s.split(' ').slice(0, 3).join(' ')),
      ['npx synthops synth', 'npx synthops publish'],
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'my-config');
    assert.equal(pkg.dependencies.synthops, '^0.1.0');
    assert.match(pkg.dependencies['cdk8s-plus-28'], /^\d+\.\d+\.\d+$/);

    linkNodeModules(dir);
    const r = synth({ root: dir });
    assert.deepEqual(r.issues, []);
    assert.deepEqual(
      r.index.apps.map((a) => `${a.env}/${a.app}`),
      ['dev/hello', 'prod/hello'],
    );
    assert.ok(fs.existsSync(path.join(dir, 'dist/prod/hello/deployment-hello.yaml')));
  });

  test('refuses a folder that is not empty', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-init-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    assert.throws(
      () => scaffold(dir, { synthopsVersion: '^0.1.0' }),
      (e: Error) =>
        e instanceof UsageError &&
        /is not empty; synthops init only writes into an empty or new folder/.test(e.message),
    );
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt']);
  });
});

describe('CI templates for an app source repo', () => {
  test('build and push the image, then synthops set-image on the config repo', () => {
    for (const f of ['github-actions.yml', 'gitlab-ci.yml']) {
      const text = fs.readFileSync(path.join(__dirname, '..', '..', 'templates', 'app-repo', f), 'utf8');
      assert.ok(YAML.parse(text));
      assert.match(text, /docker push/);
      assert.match(text, /synthops set-image --env dev --app .* --image .* --repo /);
    }
  });
});
