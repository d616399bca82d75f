/**
 * `agent --once` progress as a person meets it, against the real control plane: a
 * Deployment that kwok makes available a moment after the apply, so the agent waits.
 * Piped, progress is one line per change on stderr and stdout keeps the report alone;
 * on a terminal (a real pty, from util-linux `script`) the status line is redrawn in
 * place. ANSI escapes appear on a terminal or with FORCE_COLOR, never with NO_COLOR
 * or --no-color. `-q` and `-v`, and the duration flags' usage errors.
 */
import { spawn } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { configMap, deployment, synthopsTree } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { agentOnceArgs } from '../harness/once-args';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
// Escapes as regular expressions built from text (a control character in a regex literal is a lint error).
const E = '\u001b';
const ESC = new RegExp(`${E}\\[`);
const GREEN_CONVERGED = `${E}\\[32mConverged${E}\\[0m`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with pipes (no terminal anywhere). */
function piped(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...withoutColorVars(process.env), TERM: 'xterm', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI on a real pseudo-terminal (`script`): stdout and stderr both go to it, merged. */
function onTerminal(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; tty: string }> {
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  // env -u: NO_COLOR/FORCE_COLOR of the test runner's own environment must not leak in.
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...withoutColorVars(process.env), TERM: 'xterm', COLUMNS: '200', ...env },
  });
  let tty = '';
  child.stdout.on('data', (c: Buffer) => {
    tty += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, tty })));
}

function withoutColorVars(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'NO_COLOR' && k !== 'FORCE_COLOR') out[k] = v;
  return out;
}

/** A branch with one app: a ConfigMap and a Deployment whose rollout the agent waits for. */
async function setUp(t: TestContext) {
  const ns = await testNamespace(t);
  const kubeconfig = await testKubeconfig();
  const remote = TestRemote.create(t);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-progress-'));
  t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
  let version = 0;
  /** Publishes a revision whose Pod template differs from the last: a new rollout to wait for. */
  const publish = () => {
    const d = deployment('web', ns);
    // Available only 2 s after its Pod is ready: the agent always has something to wait for.
    const spec = d.spec as { minReadySeconds?: number; template: { metadata: Record<string, unknown> } };
    spec.minReadySeconds = 2;
    const template = spec.template;
    template.metadata.annotations = { 'example.com/version': String(++version) };
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('settings', ns), d] }));
  };
  const args = agentOnceArgs({ repo: remote.fileUrl, kubeconfig, namespace: ns, workdir, timeout: '2m' });
  return { ns, publish, args };
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('agent --once progress', () => {
  test('piped: one stderr line per change, a waiting line before the app is done; stdout is the report; no ANSI', async (t) => {
    const { ns, publish, args } = await setUp(t);
    publish();
    const r = await piped(args);
    assert.equal(r.code, 0, r.stderr);
    const err = lines(r.stderr);
    const done = err.findIndex((l) => /^shop: Converged \(.*\) in /.test(l));
    assert.ok(done > 0, r.stderr);
    const waiting = err.findIndex((l) => l.startsWith(`waiting for shop: Deployment ${ns}/web (`));
    assert.ok(waiting >= 0 && waiting < done, `a waiting line before the final line:\n${r.stderr}`);
    assert.match(err[0], /^fetching file:\/\/.* deploy$/);
    // One line per change: a line repeats only as a reminder that says so.
    for (let i = 1; i < err.length; i++) {
      if (err[i].includes('(still, after ')) continue;
      assert.notEqual(err[i], err[i - 1], `line ${i} repeats without a change:\n${r.stderr}`);
    }
    assert.doesNotMatch(r.stderr + r.stdout, ESC);
    assert.doesNotMatch(r.stderr, /\r/, 'never redrawn in place into a pipe');
    assert.match(r.stdout, /^fetched file:\/\//);
    assert.match(r.stdout, /^converged$/m);
    assert.doesNotMatch(r.stdout, /^waiting for/m, 'progress stays off stdout');
  });

  test('on a terminal the status is redrawn in place, coloured; NO_COLOR and --no-color drop every escape; FORCE_COLOR colours a pipe', async (t) => {
    const { ns, publish, args } = await setUp(t);
    publish();
    const tty = await onTerminal(args);
    assert.equal(tty.code, 0, tty.tty);
    assert.match(tty.tty, ESC, 'colours and line erase on a terminal');
    // The status line is erased (not followed by a newline) before the next line is drawn.
    assert.match(tty.tty, new RegExp(`fetching file://\\S+ deploy \\(0s\\)\r${E}\\[K`));
    assert.match(tty.tty, new RegExp(`waiting for shop: Deployment ${ns}/web \\(`));
    assert.match(tty.tty, new RegExp(`shop: ${GREEN_CONVERGED}`));

    publish();
    const noColor = await onTerminal(args, { NO_COLOR: '1' });
    assert.equal(noColor.code, 0, noColor.tty);
    assert.doesNotMatch(noColor.tty, ESC);
    assert.match(noColor.tty, /fetching file:\/\/\S+ deploy \(0s\)\r +\r/, 'redrawn with spaces, no escape');
    assert.match(noColor.tty, /^shop: Converged /m);

    publish();
    const flag = await onTerminal([...args, '--no-color'], { FORCE_COLOR: '1' });
    assert.equal(flag.code, 0, flag.tty);
    assert.doesNotMatch(flag.tty, ESC, '--no-color wins over FORCE_COLOR');

    publish();
    const forced = await piped(args, { FORCE_COLOR: '1' });
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, new RegExp(`^shop: ${GREEN_CONVERGED}`, 'm'));
    assert.doesNotMatch(forced.stderr, /\r/, 'coloured, but still a line per change');
    assert.doesNotMatch(forced.stdout, ESC, 'the report stays plain');

    publish();
    const both = await piped(args, { FORCE_COLOR: '1', NO_COLOR: '1' });
    assert.equal(both.code, 0, both.stderr);
    assert.doesNotMatch(both.stderr + both.stdout, ESC, 'NO_COLOR wins over FORCE_COLOR');
  });

  test('-q prints the final summary only; -v adds a line per object written and per health change', async (t) => {
    const { ns, publish, args } = await setUp(t);
    publish();
    const quiet = await piped([...args, '-q']);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, 'converged\n', '']);

    publish();
    const verbose = await piped([...args, '--verbose']);
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stderr, new RegExp(`^shop: applied Deployment ${ns}/web$`, 'm'));
    assert.match(verbose.stderr, new RegExp(`^shop: Deployment ${ns}/web: Progressing: `, 'm'));
    assert.match(verbose.stderr, new RegExp(`^shop: Deployment ${ns}/web: Healthy: ok$`, 'm'));
    assert.match(verbose.stdout, /^converged$/m);
  });

  test('a failing app says why on stderr with -q, and the exit code is 1', async (t) => {
    const { ns, args } = await setUp(t);
    const remote = TestRemote.create(t);
    // A Service with an invalid port: the dry-run refuses it before any write.
    const bad = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'bad', namespace: ns },
      spec: { ports: [{ port: 99999 }] },
    };
    remote.publish('deploy', synthopsTree('dev', { shop: [bad] }));
    const r = await piped([...args.slice(0, 3), remote.fileUrl, ...args.slice(4), '-q']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: shop: /m);
    assert.match(r.stdout, /^not converged: shop: /);
    assert.equal(lines(r.stdout).length, 1);
  });

  test('duration flags take Go durations and refuse anything else with --once too, before anything runs (exit 2, one line)', async () => {
    // No cluster and no remote: a bad value must be refused before either is touched.
    const base = agentOnceArgs({ repo: 'file:///no/such/repo', kubeconfig: '/no/such' });
    for (const [flag, value] of [
      ['--interval', 'bogus'],
      ['--timeout', '5x'],
      ['--timeout', '30'],
      ['--lease-duration', '1h-5m'],
      ['--render-timeout', ''],
      ['--timeout', '-1s'],
    ]) {
      const r = await piped([...base, flag, value]);
      assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: ${flag}: `));
      assert.equal(r.stdout, '');
    }
    const both = await piped([...base, '-q', '-v']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: -q\/--quiet and -v\/--verbose exclude each other\n$/);
  });
});
