/**
 * A config repo that installs synthops from a tarball (`npm pack` of this checkout,
 * with the built lib/) gets one copy of cdk8s, constructs and cdk8s-plus-28 (they are
 * peer dependencies), and `synthops synth` renders a cdk8s-plus chart with them (two
 * copies failed with "can't render non-simple object of type 'Lazy'"). npm installs
 * from the registry (or its cache); slow, so one test does it all.
 */
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { REPO_ROOT } from '../harness/config-repo';

const own = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};

const APP = `import * as kplus from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({
  name: 'web',
  build: (app) => {
    const d = new kplus.Deployment(app, 'web', {
      containers: [{ image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390', portNumber: 8080 }],
    });
    d.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  },
});
`;

const ENVIRONMENTS = `import { defineEnvironments } from 'synthops';
export default defineEnvironments({ dev: {} });
`;

test('a tarball install has one copy of each peer, and synth renders cdk8s-plus with it', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-install-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
  // lib/ is built (npm test builds first); --ignore-scripts skips building it again.
  const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', dir], REPO_ROOT).trim().split('\n').pop()!;
  const repo = path.join(dir, 'config');
  fs.mkdirSync(path.join(repo, 'apps'), { recursive: true });
  fs.writeFileSync(
    path.join(repo, 'package.json'),
    JSON.stringify({
      name: 'config',
      private: true,
      dependencies: {
        synthops: `file:${path.join(dir, tarball)}`,
        cdk8s: own.devDependencies.cdk8s,
        constructs: own.devDependencies.constructs,
        'cdk8s-plus-28': own.devDependencies['cdk8s-plus-28'],
      },
    }),
  );
  fs.writeFileSync(path.join(repo, 'apps', 'environments.ts'), ENVIRONMENTS);
  fs.writeFileSync(path.join(repo, 'apps', 'web.ts'), APP);
  npm(['install', '--prefer-offline', '--ignore-scripts'], repo);

  for (const name of ['cdk8s', 'constructs']) {
    const tree = npm(['ls', name, '--all', '--parseable'], repo).trim().split('\n');
    assert.deepEqual(tree, [path.join(repo, 'node_modules', name)], `one copy of ${name}: ${tree.join(', ')}`);
  }
  assert.ok(!fs.existsSync(path.join(repo, 'node_modules', 'synthops', 'node_modules', 'cdk8s')));

  execFileSync(path.join(repo, 'node_modules', '.bin', 'synthops'), ['synth'], { cwd: repo, encoding: 'utf8' });
  const files = fs.readdirSync(path.join(repo, 'dist', 'dev', 'web')).sort();
  assert.ok(
    files.some((f) => f.startsWith('deployment')),
    files.join(),
  );
  assert.ok(
    files.some((f) => f.startsWith('service')),
    files.join(),
  );
});
