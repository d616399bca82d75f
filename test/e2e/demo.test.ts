/**
 * `npm run demo` end to end on the local control plane: the example apps published and
 * converged, an image bump, the summary; then `--down` (and, in a second run, Ctrl-C)
 * stops exactly what the demo started and leaves the shared plane running.
 */
import * as k8s from '@kubernetes/client-node';
import { ChildProcess, spawn } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { isHealthy, readState } from '../cluster/plane';
import { deleteNamespaces, eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';

const BUMPED = 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7';
// The example apps use fixed namespaces (as test/agent/example-apps.test.ts does).
const FIXED = ['simple-web-app', 'greetings', 'seed-plain', 'synthops-system'];

/** PIDs of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return (
          fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) &&
          !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
        );
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

interface Demo {
  child: ChildProcess;
  out: () => string;
  exit: Promise<number | null>;
}

function startDemo(t: TestContext, env: NodeJS.ProcessEnv, args: string[]): Demo {
  // Its own process group, so a Ctrl-C can be sent to all of it as a terminal does.
  const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    out += c;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null)
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
  });
  return { child, out: () => out, exit };
}

function agentPid(dir: string): number {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'demo.json'), 'utf8')) as {
    processes: Array<{ name: string; pid: number }>;
    plane?: unknown;
  };
  assert.equal(state.plane, undefined, 'the demo did not start the shared plane');
  return state.processes.find((p) => p.name === 'synthops agent')!.pid;
}

describe('npm run demo', () => {
  test('the whole loop, then --down; again in the foreground, then Ctrl-C; nothing left running', async (t) => {
    // The demo runs on the local plane; it never starts one in a test (nor stops the shared one).
    if (!(await isHealthy(readState()))) return t.skip('the local control plane is not running (npm run cluster:up)');
    const kc = await testKubeConfig();
    const cleanup = async () => {
      await kc
        .makeApiClient(k8s.ApiextensionsV1Api)
        .deleteCustomResourceDefinition({ name: 'greetings.examples.synthops.dev' })
        .catch(() => undefined);
      await deleteNamespaces(FIXED);
    };
    await cleanup();
    t.after(cleanup);
    const plane = readState()!.components.map((c) => c.pid);

    // 1. --detach: the summary, the agent left running; --down stops it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-demo-test-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const env = {
      SYNTHOPS_DEMO_DIR: dir,
      SYNTHOPS_DEMO_NAMESPACE: await testNamespace(t, 'demo'),
      SYNTHOPS_DEMO_QUICK: '1',
    };
    const detached = startDemo(t, env, ['--detach']);
    assert.equal(await detached.exit, 0, detached.out());
    const out = detached.out();
    for (const n of [1, 2, 3, 4, 5, 6]) assert.match(out, new RegExp(`^\\[${n}/6\\] `, 'm'));
    assert.match(
      out,
      /^ {6}4 apps converged at [0-9a-f]{12} in [\d.]+s: greetings, seed-plain, simple-web-app, synthops-agent$/m,
    );
    const bump =
      /^ {6}simple-web-app converged at ([0-9a-f]{12}): commit to converged [\d.]+s \(the agent's measure, from the commit's time\), publish to converged [\d.]+s$/m.exec(
        out,
      );
    assert.ok(bump, out);
    assert.match(out, new RegExp(`^ {6}simple-web-app\\s+dev\\s+${bump[1]}\\s+True\\s`, 'm'), 'the status table');
    assert.match(
      out,
      new RegExp(
        `^  node bin/synthops ui --kubeconfig \\S+ -n ${env.SYNTHOPS_DEMO_NAMESPACE} --repo file://${dir}/deploy.git --branch deploy$`,
        'm',
      ),
    );
    assert.match(out, /^ {2}npm run demo -- --down$/m);
    const dep = await kc
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'simple-web-app', namespace: 'simple-web-app' });
    assert.equal(dep.spec?.template.spec?.containers[0].image, BUMPED);
    const pid = agentPid(dir);
    assert.ok(processesMentioning(dir).includes(pid), 'the agent keeps running after --detach');

    const stop = startDemo(t, env, ['--down']);
    assert.equal(await stop.exit, 0, stop.out());
    assert.match(stop.out(), new RegExp(`^stopping synthops agent \\(pid ${pid}\\)$`, 'm'));
    assert.match(stop.out(), /^the local control plane was running before the demo: left running$/m);
    assert.deepEqual(processesMentioning(dir), [], 'nothing the demo started is left');
    assert.equal(fs.existsSync(path.join(dir, 'demo.json')), false);
    assert.ok(await isHealthy(readState()), 'the shared plane still runs');
    assert.deepEqual(
      readState()!.components.map((c) => c.pid),
      plane,
    );

    // 2. In the foreground until Ctrl-C (SIGINT to its process group, as a terminal sends it).
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-demo-test-'));
    t.after(() => fs.rmSync(dir2, { recursive: true, force: true }));
    const fg = startDemo(
      t,
      { ...env, SYNTHOPS_DEMO_DIR: dir2, SYNTHOPS_DEMO_NAMESPACE: await testNamespace(t, 'demo') },
      [],
    );
    await eventually(
      'the demo waits in the foreground',
      async () => (/^ {2}Ctrl-C here, or npm run demo -- --down$/m.test(fg.out()) ? true : undefined),
      240_000,
    );
    const pid2 = agentPid(dir2);
    assert.ok(processesMentioning(dir2).includes(pid2));
    process.kill(-fg.child.pid!, 'SIGINT');
    await fg.exit; // npm itself ends by the signal, as under a terminal
    assert.match(fg.out(), /stopping what the demo started/);
    await eventually('nothing left', async () => (processesMentioning(dir2).length === 0 ? true : undefined), 30_000);
    assert.ok(await isHealthy(readState()), 'the shared plane still runs');
  });
});
