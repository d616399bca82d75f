/**
 * `synthops init` makes a repo whose CI works: synthops packed into vendor/ and a
 * package-lock.json, so a fresh clone runs `npm ci`, synth and publish. npm installs
 * from its cache where it can (`--prefer-offline`); the registry is asked only for
 * what the cache lacks.
 */
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import * as YAML from 'yaml';
import { runInit } from '../../src/cli/init';
import { detectSource, readPackageJson, sourceFrom, usedVersion } from '../../src/init/synthops-source';
import { UsageError } from '../../src/model/errors';
import { REPO_ROOT } from '../harness/config-repo';

const GIT_ID = ['-c', 'user.name=synthops-test', '-c', 'user.email=test@synthops.dev'];

function sh(cwd: string, cmd: string, args: string[]): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', npm_config_audit: 'false', npm_config_fund: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-init-ci-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('synthops init: a config repo whose CI works', () => {
  test('a fresh clone runs npm ci, synth and publish; the deploy branch gets the YAML', (t) => {
    const root = tmp(t);
    const cfg = path.join(root, 'my-config');
    const lines: string[] = [];
    const code = runInit(cfg, { from: REPO_ROOT }, { out: (l) => lines.push(l), err: () => undefined });
    assert.equal(code, 0);
    const version = readPackageJson(REPO_ROOT)!.version!;
    assert.ok(lines.includes(`created vendor/synthops-${version}.tgz`), lines.join('\n'));
    assert.ok(lines.includes('created package-lock.json'));
    assert.match(lines.join('\n'), /next: cd .* && npm ci && npx synthops synth/);

    // cdk8s and friends are the config repo's own dependencies, at the versions synthops uses.
    const pkg = JSON.parse(fs.readFileSync(path.join(cfg, 'package.json'), 'utf8'));
    const own = readPackageJson(REPO_ROOT)!;
    assert.equal(pkg.dependencies.synthops, `file:vendor/synthops-${version}.tgz`);
    for (const dep of ['cdk8s', 'constructs', 'cdk8s-plus-28'])
      assert.equal(pkg.dependencies[dep], usedVersion(own, dep), dep);
    const lock = JSON.parse(fs.readFileSync(path.join(cfg, 'package-lock.json'), 'utf8'));
    assert.equal(lock.packages['node_modules/synthops'].resolved, `file:vendor/synthops-${version}.tgz`);

    // The repo goes to a remote; CI clones it fresh, as a runner does.
    const source = path.join(root, 'config.git');
    const deploy = path.join(root, 'deploy.git');
    sh(root, 'git', ['init', '-q', '--bare', source]);
    sh(root, 'git', ['init', '-q', '--bare', deploy]);
    sh(cfg, 'git', ['init', '-q', '-b', 'main']);
    sh(cfg, 'git', ['add', '-A']);
    sh(cfg, 'git', [...GIT_ID, 'commit', '-qm', 'config repo']);
    sh(cfg, 'git', ['push', '-q', source, 'main']);
    const ci = path.join(root, 'ci');
    sh(root, 'git', ['clone', '-q', '-b', 'main', source, ci]);
    assert.equal(fs.existsSync(path.join(ci, 'node_modules')), false);

    sh(ci, 'npm', ['ci', '--prefer-offline']);
    sh(ci, 'npx', ['synthops', 'synth']);
    const head = sh(ci, 'git', ['rev-parse', 'HEAD']).trim();
    sh(ci, 'npx', [
      'synthops',
      'publish',
      '--skip-synth',
      '--repo',
      `file://${deploy}`,
      '--branch',
      'deploy',
      '--source-commit',
      head,
    ]);

    const files = sh(root, 'git', ['--git-dir', deploy, 'ls-tree', '-r', '--name-only', 'deploy']).split('\n');
    const deployment = files.find((f) => /prod\/hello\/deployment-hello\.yaml$/.test(f));
    assert.ok(deployment, files.join('\n'));
    const doc = YAML.parse(sh(root, 'git', ['--git-dir', deploy, 'show', `deploy:${deployment}`]));
    assert.equal(doc.kind, 'Deployment');
    assert.equal(doc.metadata.name, 'hello');
    const message = sh(root, 'git', ['--git-dir', deploy, 'log', '-1', '--format=%B', 'deploy']);
    assert.match(message, new RegExp(`Source-Commit: ${head}`));
  });
});

describe('where init takes synthops from', () => {
  test('a checkout is packed after a build; an install is a registry range unless npm recorded a file', (t) => {
    const root = tmp(t);
    const write = (rel: string, content: unknown) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), JSON.stringify(content));
    };
    write('checkout/package.json', { name: 'synthops', version: '1.2.3' });
    fs.mkdirSync(path.join(root, 'checkout/src'));
    assert.deepEqual(detectSource(path.join(root, 'checkout')), {
      kind: 'pack',
      dir: fs.realpathSync(path.join(root, 'checkout')),
      build: true,
      version: '1.2.3',
    });

    write('app/node_modules/synthops/package.json', { name: 'synthops', version: '1.2.3' });
    const installed = path.join(root, 'app/node_modules/synthops');
    assert.deepEqual(detectSource(installed), { kind: 'registry', range: '^1.2.3' }, 'nothing recorded');
    write('app/node_modules/.package-lock.json', {
      packages: { 'node_modules/synthops': { resolved: 'https://registry.npmjs.org/synthops/-/synthops-1.2.3.tgz' } },
    });
    assert.deepEqual(detectSource(installed), { kind: 'registry', range: '^1.2.3' });
    write('app/node_modules/.package-lock.json', {
      packages: { 'node_modules/synthops': { resolved: 'file:vendor/synthops-1.2.3.tgz' } },
    });
    assert.deepEqual(detectSource(installed), {
      kind: 'pack',
      dir: fs.realpathSync(installed),
      build: false,
      version: '1.2.3',
    });

    assert.equal(sourceFrom(installed).kind, 'pack');
    write('other/package.json', { name: 'left-pad', version: '1.0.0' });
    assert.throws(() => sourceFrom(path.join(root, 'other')), UsageError);
  });

  test('the versions of cdk8s and friends: a dependency, else the pinned devDependency of a peer', () => {
    assert.equal(usedVersion({ dependencies: { cdk8s: '2.70.106' } }, 'cdk8s'), '2.70.106');
    assert.equal(
      usedVersion({ peerDependencies: { cdk8s: '^2.70.0' }, devDependencies: { cdk8s: '2.70.106' } }, 'cdk8s'),
      '2.70.106',
    );
    assert.equal(usedVersion({ peerDependencies: { cdk8s: '^2.70.0' } }, 'cdk8s'), '^2.70.0');
    assert.equal(usedVersion({}, 'cdk8s'), undefined);
  });
});
