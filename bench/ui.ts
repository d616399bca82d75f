/// <reference lib="dom" />
/**
 * `npm run bench:ui`: the overview of 1000 apps (4 inventory objects each) in headless
 * Chromium against the real plane: time to first contentful paint and to the complete
 * overview, next to `kubectl get appsyncs -A` of the same state in the same run, and the
 * memory of the `synthops ui` process. The AppSyncs and their status are written
 * directly through the API (no agent), as the agent would have written them.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium } from 'playwright-core';
import { mapLimit } from '../src/model/concurrency';
import { KubeClient } from '../src/kube/client';
import { AppSyncStatus, StatusStore } from '../src/agent/state/status-store';
import { up } from '../test/cluster/plane';
import { PAGE_SIZE } from '../src/ui/overview-model';
import { ensureChromium } from '../test/ui/support/browser';

const REPO_ROOT = path.resolve(__dirname, '..');
const APPS = Number(process.env.BENCH_APPS ?? 1000);
const REPS = Number(process.env.BENCH_REPS ?? 5);
// Three deploy revisions live across the fleet, as during a rollout.
const SHA = (i: number) =>
  createHash('sha1')
    .update(`revision-${i % 3}`)
    .digest('hex');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A status like the agent writes, in a spread of states (most Ready, as in a healthy fleet). */
function statusOf(i: number, ns: string): AppSyncStatus {
  const name = `app-${i}`;
  const now = new Date(Date.now() - (i % 300) * 1000).toISOString();
  const [status, reason, message]: ['True' | 'False' | 'Unknown', string, string] =
    i % 50 === 1
      ? [
          'False',
          'HealthCheckFailed',
          `Deployment ${ns}/${name}: rollout stalled: ReplicaSet "${name}-5d8f7c9b4" has timed out progressing.`,
        ]
      : i % 50 === 2
        ? [
            'False',
            'PruneHeld',
            `prune held: ConfigMap ${ns}/${name}-old: the revision removes 3 of 4 objects of app "${name}", more than half`,
          ]
        : i % 25 === 3
          ? ['False', 'Progressing', `Deployment ${ns}/${name}: 1/2 replicas available`]
          : i % 100 === 4
            ? ['Unknown', 'Suspended', 'suspended; no drift']
            : ['True', 'ReconciliationSucceeded', `applied revision ${SHA(i).slice(0, 12)}`];
  return {
    lastAppliedRevision: SHA(i),
    lastAppliedRevisionShort: SHA(i).slice(0, 12),
    lastAttemptedRevision: SHA(i),
    lastSyncTime: now,
    conditions: [
      { type: 'Ready', status, reason, message, lastTransitionTime: now },
      { type: 'Reconciling', status: status === 'True' ? 'False' : 'True', reason, message, lastTransitionTime: now },
      { type: 'Stalled', status: 'False', reason, message: '', lastTransitionTime: now },
    ],
    inventory: [
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name },
      { apiVersion: 'v1', kind: 'Service', namespace: ns, name },
      { apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name },
    ],
    unhealthy: [],
    errors: [],
    held: [],
    drift: [],
    history: [{ revision: SHA(i), startTime: now, durationSeconds: 0.4, result: 'applied', message }],
    commitToConvergedSeconds: 1 + (i % 10) / 10,
    driftRepairs: 0,
  };
}

function procStatus(pid: number, key: string): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function startUi(kubeconfig: string, ns: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'synthops'), 'ui', '--port', '0', '--kubeconfig', kubeconfig, '--agent-namespace', ns],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /synthops ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`synthops ui exited with ${code}: ${out}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  ensureChromium();
  process.stderr.write('bench:ui: building lib/ (bin/synthops runs it)\n');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const state = await up();
  const kubectl = path.join(state.binDir, 'kubectl');
  const ns = `bench-ui-${Date.now().toString(36)}`;
  execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
  const client = KubeClient.fromKubeconfig(state.kubeconfig);
  let ui: { child: ChildProcess; url: string } | undefined;
  const browser = await chromium.launch({ executablePath: ensureChromium(), args: ['--no-sandbox'] });
  try {
    await new StatusStore(client, ns).ensureCrd();
    const t0 = Date.now();
    await mapLimit(
      Array.from({ length: APPS }, (_, i) => i),
      16,
      async (i) => {
        const name = `bench.app-${i}`;
        await client.request('POST', `/apis/synthops.dev/v1alpha1/namespaces/${ns}/appsyncs`, {
          body: {
            apiVersion: 'synthops.dev/v1alpha1',
            kind: 'AppSync',
            metadata: { name, namespace: ns },
            spec: { app: `app-${i}`, env: 'bench' },
          },
        });
        await client.request('PATCH', `/apis/synthops.dev/v1alpha1/namespaces/${ns}/appsyncs/${name}/status`, {
          body: { status: statusOf(i, ns) },
          contentType: 'application/merge-patch+json',
        });
      },
    );
    process.stderr.write(
      `bench:ui: ${APPS} AppSyncs with status written in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    ui = await startUi(state.kubeconfig, ns);
    const pid = ui.child.pid!;
    for (;;) {
      const text = await (await fetch(ui.url)).text();
      if (text.includes(`of ${APPS} apps, worst first`)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const idleRss = procStatus(pid, 'VmRSS');

    const pages = [
      {
        label: `overview (counts of all ${APPS}, first ${Math.min(APPS, PAGE_SIZE)} rows worst first: the default)`,
        url: ui.url,
        rows: Math.min(APPS, PAGE_SIZE),
      },
      { label: `overview, every row (?page=all, ${APPS} rows)`, url: `${ui.url}?page=all`, rows: APPS },
    ];
    const results: Array<{ label: string; fcp: number; complete: number; server: number; kib: number }> = [];
    for (const p of pages) {
      const server: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REPS; i++) {
        const s = performance.now();
        bytes = (await (await fetch(p.url)).arrayBuffer()).byteLength;
        server.push(performance.now() - s);
      }
      const fcp: number[] = [];
      const complete: number[] = [];
      for (let i = 0; i < REPS; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        await page.goto(p.url, { waitUntil: 'load' });
        const m = await page.evaluate(async () => {
          // The first frame after load: every row is in the DOM (server-rendered) and laid out.
          await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
          const laidOut = performance.now();
          // On a busy machine the first paint can come after that: wait for its entry.
          const paint = await new Promise<number>((resolve) => {
            const timer = setTimeout(() => resolve(NaN), 10_000);
            new PerformanceObserver((list, observer) => {
              const e = list.getEntriesByName('first-contentful-paint')[0];
              if (!e) return;
              observer.disconnect();
              clearTimeout(timer);
              resolve(e.startTime);
            }).observe({ type: 'paint', buffered: true });
          });
          return {
            fcp: paint,
            complete: Number.isNaN(paint) ? laidOut : Math.max(laidOut, paint),
            rows: document.querySelectorAll('table.apps tbody tr').length,
          };
        });
        if (m.rows !== p.rows) throw new Error(`${p.url} shows ${m.rows} rows, not ${p.rows}`);
        if (Number.isNaN(m.fcp)) throw new Error(`${p.url}: no first-contentful-paint entry`);
        fcp.push(m.fcp);
        // Complete: every row laid out, and painted at least once.
        complete.push(m.complete);
        await context.close();
      }
      results.push({
        label: p.label,
        fcp: median(fcp),
        complete: median(complete),
        server: median(server),
        kib: bytes / 1024,
      });
    }
    const peakRss = procStatus(pid, 'VmHWM');
    const afterRss = procStatus(pid, 'VmRSS');

    const kc: number[] = [];
    let kcRows = 0;
    for (let i = 0; i < REPS; i++) {
      const s = performance.now();
      const out = execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'get', 'appsyncs', '-A'], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      kc.push(performance.now() - s);
      kcRows = out.trim().split('\n').length - 1;
    }
    const ms = (x: number) => `${Math.round(x)} ms`;
    console.log(
      `synthops ui, overview of ${APPS} apps (4 inventory objects each), median of ${REPS}; node ${process.version}, Chromium ${browser.version()}`,
    );
    console.log(
      `| page | first contentful paint | complete (rows laid out) | kubectl get appsyncs -A (${kcRows} rows) | ratio (complete / kubectl) | server render + transfer (HTML) |`,
    );
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of results)
      console.log(
        `| ${r.label} | ${ms(r.fcp)} | ${ms(r.complete)} | ${ms(median(kc))} | ${(r.complete / median(kc)).toFixed(2)}x | ${ms(r.server)} (${r.kib.toFixed(0)} KiB) |`,
      );
    console.log(
      `\nsynthops ui process RSS: ${idleRss.toFixed(0)} MiB idle after its first list, ${afterRss.toFixed(0)} MiB after the page loads, ${peakRss.toFixed(0)} MiB peak (VmHWM). Load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores.`,
    );
  } finally {
    await browser.close();
    ui?.child.kill('SIGTERM');
    client.close();
    execFileSync(kubectl, ['--kubeconfig', state.kubeconfig, 'delete', 'namespace', ns, '--wait=false'], {
      stdio: 'ignore',
    });
  }
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
