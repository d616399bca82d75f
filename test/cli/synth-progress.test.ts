/** `synth` progress: N/M on a terminal (a real pty, from util-linux `script`), nothing extra piped; -q and -v. */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test } from 'node:test';
import { REPO_ROOT, makeRepo } from '../harness/config-repo';
import { webApp } from '../synth/fixtures';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
const E = '\u001b';

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', ...extra };
  for (const k of ['NO_COLOR', 'FORCE_COLOR']) if (!(k in extra)) delete out[k];
  return out;
}

function piped(cwd: string, args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: env(extra) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function onTerminal(cwd: string, args: string[], extra: Record<string, string> = {}) {
  const command = [process.execPath, BIN, ...args].map((s) => `'${s.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd, encoding: 'utf8', env: env(extra) });
  return { code: r.status, tty: r.stdout };
}

describe('synth progress', () => {
  test('on a terminal N/M of the app modules and apps, redrawn in place; NO_COLOR without escapes; piped nothing extra', (t) => {
    const root = makeRepo(t, {
      'apps/web.ts': webApp('web'),
      'apps/api.ts': webApp('api'),
      'apps/db.ts': webApp('db'),
    });
    const tty = onTerminal(root, ['synth', '--no-cache']);
    assert.equal(tty.code, 0, tty.tty);
    assert.match(tty.tty, /synth: loading app modules 2\/3 \(0s\)/);
    assert.match(tty.tty, /synth: rendering apps 6\/6/, '3 apps in 2 environments');
    assert.match(tty.tty, new RegExp(`\\r${E}\\[K`), 'erased in place');
    assert.match(tty.tty, /^wrote 18 objects of 6 app\(s\)/m);

    const plain = onTerminal(root, ['synth', '--no-cache'], { NO_COLOR: '1' });
    assert.equal(plain.code, 0, plain.tty);
    assert.match(plain.tty, /synth: building apps \d\/6/);
    assert.ok(!plain.tty.includes(E), 'no escape with NO_COLOR');
    const flag = onTerminal(root, ['synth', '--no-cache', '--no-color'], { FORCE_COLOR: '1' });
    assert.ok(!flag.tty.includes(E), 'no escape with --no-color');

    const r = piped(root, ['synth', '--no-cache'], { FORCE_COLOR: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no N/M into a pipe');
    assert.ok(!r.stdout.includes(E));
  });

  test('-q prints the summary only; -v adds a line per object file', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    const quiet = piped(root, ['synth', '-q']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.match(quiet.stdout, /^wrote 6 objects of 2 app\(s\) to \/\S+\n$/);
    const verbose = piped(root, ['synth', '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /^ {2}dev\/web\/\S+\.yaml: Deployment \S+\/web$/m);
    assert.equal(verbose.stdout.split('\n').filter((l) => l.startsWith('  ')).length, 6);
    const both = piped(root, ['synth', '-q', '-v']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: -q\/--quiet and -v\/--verbose exclude each other\n$/);
  });
});
