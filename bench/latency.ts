/**
 * `npm run bench:latency`: commit-to-converged for a one-image change in a 1000-object
 * deploy branch: with the webhook (median over BENCH_COMMITS, default 5; target < 2 s on
 * loopback), and with polling only at the default interval (1m; BENCH_POLL_COMMITS,
 * default 3), for comparison. "Converged" = the app's AppSync shows the new revision
 * applied and Ready (health included).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { createHmac } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeClient } from '../src/kube/client';
import { StatusStore } from '../src/agent/state/status-store';
import { Manifest } from '../src/model/manifest';
import { up } from '../test/cluster/plane';
import { synthopsTree } from '../test/harness/agent';
import { TestRemote } from '../test/harness/git';
import { freePort } from '../test/harness/net';
import { imageNodeFlags } from '../test/harness/image';

const REPO_ROOT = path.resolve(__dirname, '..');
const APPS = 250; // x 4 objects = 1000
const SECRET = 'bench-webhook-secret';

function app(i: number, ns: string, tag: string): Manifest[] {
  const name = `app-${i}`;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { value: name } },
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
          spec: { containers: [{ name: 'web', image: `docker.io/kostiscodefresh/simple-web-app:${tag}` }] },
        },
      },
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const state = await up();
  const commits = Number(process.env.BENCH_COMMITS ?? 5);
  const pollCommits = Number(process.env.BENCH_POLL_COMMITS ?? 3);
  const ns = `bench-lat-${Date.now().toString(36)}`;
  const kubectl = path.join(state.binDir, 'kubectl');
  execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-lat-'));
  const remote = TestRemote.at(work);
  let n = 0;
  const publish = (): string => {
    const tag = `v${++n}`;
    return remote.publish(
      'deploy',
      synthopsTree(
        'bench',
        Object.fromEntries(Array.from({ length: APPS }, (_, i) => [`app-${i}`, app(i, ns, i === 0 ? tag : 'v0')])),
      ),
      `bump app-0 to ${tag}`,
    );
  };
  const client = KubeClient.fromKubeconfig(state.kubeconfig);
  const store = new StatusStore(client, ns);
  const convergedAt = async (sha: string, limitMs: number): Promise<number> => {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const s = await store.get('bench', 'app-0').catch(() => undefined);
      if (
        s?.status?.lastAppliedRevision === sha &&
        s.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
      )
        return Date.now();
      if (Date.now() > deadline) throw new Error(`revision ${sha.slice(0, 12)} not converged after ${limitMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const start = async (webhook: boolean): Promise<{ agent: ChildProcess; port: number }> => {
    const port = await freePort();
    const agent = spawn(
      process.execPath,
      [
        ...imageNodeFlags(),
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
        '--listen',
        `127.0.0.1:${port}`,
        '--log-level',
        'warn',
        '--workdir',
        path.join(work, `checkout-${webhook}`),
      ],
      { stdio: 'ignore', env: { ...process.env, ...(webhook ? { SYNTHOPS_WEBHOOK_SECRET: SECRET } : {}) } },
    );
    return { agent, port };
  };
  const results: string[] = [];
  try {
    const first = publish();
    let { agent, port } = await start(true);
    await convergedAt(first, 10 * 60_000);
    const hooked: number[] = [];
    for (let i = 0; i < commits; i++) {
      const sha = publish();
      const t0 = Date.now();
      const body = JSON.stringify({ ref: 'refs/heads/deploy', after: sha });
      await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        body,
        headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
      });
      hooked.push((await convergedAt(sha, 60_000)) - t0);
    }
    agent.kill('SIGTERM');
    results.push(
      `| webhook | ${commits} | ${(median(hooked) / 1000).toFixed(2)} s | ${(Math.min(...hooked) / 1000).toFixed(2)}-${(Math.max(...hooked) / 1000).toFixed(2)} s | < 2 s |`,
    );
    ({ agent, port } = await start(false));
    const polled: number[] = [];
    for (let i = 0; i < pollCommits; i++) {
      const sha = publish();
      const t0 = Date.now();
      polled.push((await convergedAt(sha, 3 * 60_000)) - t0);
    }
    agent.kill('SIGTERM');
    results.push(
      `| polling (default 1m interval) | ${pollCommits} | ${(median(polled) / 1000).toFixed(2)} s | ${(Math.min(...polled) / 1000).toFixed(2)}-${(Math.max(...polled) / 1000).toFixed(2)} s | for comparison |`,
    );
  } finally {
    client.close();
    execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'delete', 'namespace', ns, '--wait=false'], {
      stdio: 'ignore',
    });
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `commit-to-converged, one image change in a ${APPS * 4}-object deploy branch (time from push to the app's AppSync showing the revision applied and Ready); node ${process.version}`,
  );
  console.log('| trigger | commits | median | range | target |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of results) console.log(r);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
