/**
 * The CLI's output as a user meets it against the real control plane: a closed pipe
 * (`| head -1`) ends it quietly, expected failures are one line saying what to do
 * (the stack only with SYNTHOPS_DEBUG=1), and the long-running agent's stdout is JSON
 * lines only.
 */
import { spawn } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { configMap, synthopsTree } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { agentOnceArgs } from '../harness/once-args';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');

/** Runs the CLI; with `closeStdout` our end of its stdout is closed at once, as `head` does once it has its line. */
function synthops(
  args: string[],
  o: { closeStdout?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SYNTHOPS_DEBUG: '', ...o.env },
  });
  let stdout = '';
  let stderr = '';
  if (o.closeStdout) child.stdout.destroy();
  else
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A copy of the test kubeconfig, changed by `edit`. */
async function kubeconfigWith(t: TestContext, edit: (kc: any) => void): Promise<string> {
  const kc = YAML.parse(fs.readFileSync(await testKubeconfig(), 'utf8'));
  edit(kc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-kc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(file, YAML.stringify(kc));
  return file;
}

const STACK = /^\s+at /m;

describe('CLI output', () => {
  test('status and agent --once into a closed pipe exit 0 quietly, without a stack trace', async (t) => {
    const ns = await testNamespace(t);
    const kubeconfig = await testKubeconfig();
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-pipe-'));
    t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
    const once = await synthops(agentOnceArgs({ repo: remote.fileUrl, kubeconfig, namespace: ns, workdir }), {
      closeStdout: true,
    });
    // stderr carries the progress lines only (no error, no stack).
    assert.equal(once.code, 0, once.stderr);
    assert.doesNotMatch(once.stderr, /error|^\s+at /m);
    const status = await synthops(['status', '--kubeconfig', kubeconfig, '--agent-namespace', ns], {
      closeStdout: true,
    });
    assert.deepEqual([status.code, status.stderr], [0, '']);
  });

  test('an unreachable apiserver, refused credentials and a 404 are one line each with what to do; SYNTHOPS_DEBUG=1 adds the stack', async (t) => {
    const unreachable = await kubeconfigWith(t, (kc) => {
      kc.clusters[0].cluster.server = 'https://127.0.0.1:1';
    });
    const r = await synthops(['status', '--kubeconfig', unreachable]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*; check that the cluster is running and that --kubeconfig \(or KUBECONFIG\) points at it\n$/,
    );
    const debug = await synthops(['status', '--kubeconfig', unreachable], { env: { SYNTHOPS_DEBUG: '1' } });
    assert.match(debug.stderr, STACK, 'SYNTHOPS_DEBUG=1 shows where it came from');

    const badToken = await kubeconfigWith(t, (kc) => {
      kc.users[0].user.token = 'not-a-valid-token';
    });
    const denied = await synthops(['status', '--kubeconfig', badToken]);
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      /^error: .*\(HTTP 401 Unauthorized\); the apiserver refused the credentials of the kubeconfig .*\n$/,
    );

    // Every path answers 404 below a wrong prefix (status reads a missing AppSync kind as "no apps"; the agent writes).
    const wrongPath = await kubeconfigWith(t, (kc) => {
      kc.clusters[0].cluster.server = `${kc.clusters[0].cluster.server}/no/such/prefix`;
    });
    const remote = TestRemote.create(t);
    remote.publish('deploy', { 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n' });
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-404-'));
    t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
    const missing = await synthops(agentOnceArgs({ repo: remote.fileUrl, kubeconfig: wrongPath, workdir }));
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      // After the progress line (fetching ...): the error is the one last line.
      /^(?:fetching .*\n)?error: .*\(HTTP 404 \w+\); it does not exist: check the names, --agent-namespace and the server URL of the kubeconfig.*\n$/,
    );
    for (const x of [r, denied, missing]) assert.doesNotMatch(x.stderr, STACK);
  });

  test('the long-running agent writes JSON lines only to stdout, the listening address among them', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const child = spawn(
      process.execPath,
      [
        BIN,
        'agent',
        '--repo',
        remote.fileUrl,
        '--branch',
        'deploy',
        '--kubeconfig',
        await testKubeconfig(),
        '--namespace',
        ns,
        '--agent-namespace',
        ns,
        '--listen',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.resume();
    const lines: string[] = [];
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          lines.push(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          if (lines[lines.length - 1].includes('"reconcile finished"')) resolve();
        }
      });
      child.on('exit', () => reject(new Error(`agent exited early:\n${lines.join('\n')}`)));
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    const logs = lines.map((l): Record<string, unknown> => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return assert.fail(`not a JSON line on stdout: ${l}`);
      }
    });
    const listening = logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('listening on 127.0.0.1:'));
    assert.ok(listening, 'the address is logged');
    assert.equal(listening.host, '127.0.0.1');
    assert.ok(typeof listening.port === 'number' && listening.port > 0);
  });
});
