/**
 * `npm run bench:memory`: the long-running agent holding 5000 objects across 500 apps
 * with its drift watches on. Reports its peak and current RSS once every app is
 * applied (and the first sync time). Target: peak RSS <= 150 MB. There is no peer to
 * run here: Flux's published figure is 175 MiB for 1000 apps of 4 objects.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { up } from '../test/cluster/plane';
import { freePort } from '../test/harness/net';
import { imageNodeFlags } from '../test/harness/image';
import { synthopsTree } from '../test/harness/agent';
import { TestRemote } from '../test/harness/git';
import { Manifest } from '../src/model/manifest';

const REPO_ROOT = path.resolve(__dirname, '..');
const APPS = Number(process.env.BENCH_APPS ?? 500);
const PER_APP = 10;

function objects(i: number, ns: string): Manifest[] {
  const name = `app-${i}`;
  const out: Manifest[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { selector: { app: name }, ports: [{ port: 80 }] },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'web', image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390' }] },
        },
      },
    },
  ];
  for (let c = out.length; c < PER_APP; c++)
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-${c}`, namespace: ns },
      data: { value: String(c) },
    });
  return out;
}

function status(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function main(): Promise<void> {
  const state = await up();
  const ns = `bench-mem-${Date.now().toString(36)}`;
  const kubectl = path.join(state.binDir, 'kubectl');
  execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-mem-'));
  const remote = TestRemote.at(work);
  remote.publish(
    'deploy',
    synthopsTree('bench', Object.fromEntries(Array.from({ length: APPS }, (_, i) => [`app-${i}`, objects(i, ns)]))),
  );

  const port = await freePort();
  const t0 = Date.now();
  // BENCH_HEAPSNAPSHOT=<dir>: write a heap snapshot of the idle agent there (open it in Chrome DevTools).
  const snapshots = process.env.BENCH_HEAPSNAPSHOT;
  if (snapshots) fs.mkdirSync(snapshots, { recursive: true });
  // The agent runs with the image's Node flags (BENCH_NODE_FLAGS replaces them, e.g. '' for none).
  const nodeFlags =
    process.env.BENCH_NODE_FLAGS !== undefined
      ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean)
      : imageNodeFlags();
  const agent = spawn(
    process.execPath,
    [
      ...nodeFlags,
      ...(snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${path.resolve(snapshots)}`] : []),
      path.join(REPO_ROOT, 'bin', 'synthops'),
      'agent',
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--kubeconfig',
      state.kubeconfig,
      '--agent-namespace',
      ns,
      '--interval',
      '10m',
      '--listen',
      `127.0.0.1:${port}`,
      '--no-wait',
      '--log-level',
      'warn',
      '--workdir',
      path.join(work, 'checkout'),
    ],
    // BENCH_AGENT_LOG=<file>: keep the agent's output (with BENCH_NODE_FLAGS=--trace-gc, its heap over time).
    {
      stdio: process.env.BENCH_AGENT_LOG
        ? ['ignore', fs.openSync(process.env.BENCH_AGENT_LOG, 'w'), 'inherit']
        : 'ignore',
    },
  );
  try {
    let ready = 0;
    while (ready < APPS) {
      await new Promise((r) => setTimeout(r, 1000));
      if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}`);
      const metrics = (await (await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined))?.text()) ?? '';
      ready = (metrics.match(/^synthops_app_ready\{[^}]*\} 1$/gm) ?? []).length;
      if (Date.now() - t0 > 15 * 60_000) throw new Error(`only ${ready} of ${APPS} apps ready after 15 min`);
    }
    const synced = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 5000)); // watches established, idle
    const peak = status(agent.pid!, 'VmHWM');
    const now = status(agent.pid!, 'VmRSS');
    // What the RSS is made of, from the agent's own process metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN) / 2 ** 20;
    const heap = gauge('synthops_nodejs_heap_size_used_bytes');
    const heapTotal = gauge('synthops_nodejs_heap_size_total_bytes');
    const external = gauge('synthops_nodejs_external_memory_bytes');
    if (snapshots) {
      agent.kill('SIGUSR2');
      while (!fs.readdirSync(snapshots).some((f) => f.endsWith('.heapsnapshot')))
        await new Promise((r) => setTimeout(r, 1000));
      await new Promise((r) => setTimeout(r, 10_000)); // written in one go; give it time to finish
    }
    console.log(
      `agent memory: ${APPS} apps, ${APPS * PER_APP} objects, watches on; node ${process.version} ${nodeFlags.join(' ')}`,
    );
    console.log('| apps | objects | first sync (no health wait) | peak RSS | RSS when idle | target |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    console.log(
      `| ${APPS} | ${APPS * PER_APP} | ${(synced / 1000).toFixed(1)} s | ${peak.toFixed(0)} MiB | ${now.toFixed(0)} MiB | <= 150 MB (Flux, published: 175 MiB for 1000 apps) |`,
    );
    console.log(
      `idle: JS heap used ${heap.toFixed(0)} MiB of ${heapTotal.toFixed(0)} MiB allocated, external ${external.toFixed(0)} MiB; the rest of the RSS is Node itself and loaded code`,
    );
  } finally {
    agent.kill('SIGTERM');
    execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'delete', 'namespace', ns, '--wait=false'], {
      stdio: 'ignore',
    });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
