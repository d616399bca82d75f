/** The agent as a process: leader election with failover, and a clean exit on SIGTERM. */
import * as k8s from '@kubernetes/client-node';
import { ChildProcess, spawn } from 'child_process';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { refOf } from '../../src/model/manifest';
import { configMap, synthopsTree, testObjects } from '../harness/agent';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';

interface AgentProcess {
  readonly child: ChildProcess;
  readonly logs: Array<Record<string, unknown>>;
  readonly exit: Promise<number | null>;
}

async function spawnAgent(t: TestContext, args: string[]): Promise<AgentProcess> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'synthops'), 'agent', '--kubeconfig', await testKubeconfig(), '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return { child, logs, exit };
}

async function leaseHolder(ns: string): Promise<string | undefined> {
  const kc = await testKubeConfig();
  const lease = await kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'synthops-agent', namespace: ns }).catch(() => undefined);
  return lease?.spec?.holderIdentity || undefined;
}

describe('agent: processes', () => {
  test('two replicas: one leader reconciles, the standby takes over when the leader dies', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const common = ['--repo', remote.fileUrl, '--branch', 'deploy', '--namespace', ns, '--agent-namespace', ns, '--leader-elect', '--lease-duration', '3s', '--interval', '1s'];
    const a = await spawnAgent(t, [...common, '--identity', 'agent-a']);
    const b = await spawnAgent(t, [...common, '--identity', 'agent-b']);
    const leader = await eventually('a leader', () => leaseHolder(ns), 30_000);
    const [lead, standby] = leader === 'agent-a' ? [a, b] : [b, a];
    const objects = await testObjects(t);
    await eventually('leader applied', () => objects.get(refOf(configMap('a', ns))), 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(lead.logs.some((l) => l.msg === 'reconcile started'), 'the leader reconciles');
    assert.equal(standby.logs.filter((l) => l.msg === 'reconcile started').length, 0, 'the standby never writes');

    lead.child.kill('SIGKILL');
    const killedAt = Date.now();
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns), configMap('after-failover', ns)] }));
    await eventually('standby took over and applied', () => objects.get(refOf(configMap('after-failover', ns))), 30_000);
    assert.equal(await leaseHolder(ns), leader === 'agent-a' ? 'agent-b' : 'agent-a');
    assert.ok(standby.logs.some((l) => l.msg === 'became leader'));
    process.stdout.write(`# failover: new leader applied ${Date.now() - killedAt} ms after the leader was killed (lease 3 s)\n`);
  });

  test('SIGTERM: the agent finishes cleanly, releases its lease and exits 0', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('a', ns)] }));
    const agent = await spawnAgent(t, ['--repo', remote.fileUrl, '--branch', 'deploy', '--namespace', ns, '--agent-namespace', ns, '--leader-elect', '--lease-duration', '15s', '--identity', 'solo']);
    await eventually('reconciled', async () => (agent.logs.some((l) => l.msg === 'reconcile finished') ? true : undefined), 30_000);
    assert.equal(await leaseHolder(ns), 'solo');
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exit, 0);
    assert.ok(agent.logs.some((l) => l.msg === 'stopped'));
    assert.equal(await leaseHolder(ns), undefined, 'lease released: a standby need not wait for it to expire');
  });
});
