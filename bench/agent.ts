/**
 * `npm run bench:agent`: `synthops agent --once` against `kubectl apply --server-side
 * --prune` of the same objects, on the local control plane, in the same run:
 * first sync into an empty namespace, a no-op reconcile, and one changed object.
 * (kubectl prunes server-side applied objects only through an ApplySet: `--prune
 * --applyset`, with KUBECTL_APPLYSET=true.)
 * Apps of 4 objects like Flux's public benchmark: a Deployment scaled to 0, a
 * ServiceAccount, a Service and a ConfigMap. Writes are counted from resourceVersions.
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureBinaries, up } from '../test/cluster/plane';
import { synthopsTree } from '../test/harness/agent';
import { TestRemote } from '../test/harness/git';
import { benchApp } from './app-objects';
import { SYNTHOPS_BIN, agentOnceArgs } from '../test/harness/once-args';
import { Manifest } from '../src/model/manifest';
import { toYaml } from '../src/synth/serialize';

const RSS = path.join(__dirname, 'rss.js');
const SIZES = (process.env.BENCH_OBJECTS ?? '100,1000,4000').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const RUN = Date.now().toString(36);
// kubectl apply does not wait for health; by default neither does synthops here (BENCH_WAIT=1 to include it).
const WAIT = process.env.BENCH_WAIT === '1';
// BENCH_RTT_MS=<ms>: both tools reach the API server through a proxy that adds this round trip (bench/delay-proxy.ts).
const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 0);
// Extra Node flags for the agent process, e.g. BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

function app(i: number, ns: string, bench: string, configValue = 'v1'): Manifest[] {
  return benchApp(i, ns, { bench, 'synthops.dev/app': `app-${i}` }, configValue);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Run {
  ms: number;
  rssMiB: number;
  serverCpuS: number;
  toolCpuS: number;
  planeCpuS: Record<string, number>;
}

/** The control plane's processes by component name. */
let planePids: Array<{ name: string; pid: number }> = [];

/** CPU seconds a process has used so far (utime + stime, fields 14 and 15 of /proc/PID/stat). */
function cpuOf(pid: number): number {
  const fields = fs
    .readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds each control plane component has used so far: what each tool costs the control plane. */
function planeCpu(): Record<string, number> {
  return Object.fromEntries(planePids.map((c) => [c.name, cpuOf(c.pid)]));
}

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Run {
  // Node processes report their own peak RSS (bench/rss.js); others through GNU time when present.
  if (cmd !== process.execPath && fs.existsSync('/usr/bin/time'))
    [cmd, args] = ['/usr/bin/time', ['-f', 'BENCH_MAXRSS_KB %M\nBENCH_CPU_S %U %S', cmd, ...args]];
  const cpu0 = planeCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: env ?? process.env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr || r.stdout}`);
  const kb = Number(/BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0);
  const toolCpuS = (/BENCH_CPU_S ([\d.]+)(?: ([\d.]+))?/.exec(r.stderr)?.slice(1) ?? []).reduce(
    (a, x) => a + Number(x ?? 0),
    0,
  );
  const cpu1 = planeCpu();
  const planeCpuS = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k] - cpu0[k]]));
  return { ms, rssMiB: kb / 1024, serverCpuS: planeCpuS['kube-apiserver'] + planeCpuS.etcd, toolCpuS, planeCpuS };
}

function resourceVersions(kubectl: string, kubeconfig: string, ns: string): Map<string, string> {
  const out = execFileSync(
    kubectl,
    [
      '--kubeconfig',
      kubeconfig,
      'get',
      'deployments,services,configmaps,serviceaccounts',
      '-n',
      ns,
      '-l',
      'bench',
      '-o',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const items = (JSON.parse(out) as { items: Manifest[] }).items;
  return new Map(items.map((m) => [`${m.kind}/${m.metadata.name}`, String(m.metadata.resourceVersion)]));
}

/**
 * resourceVersions once the controller-manager has stopped updating the objects (its
 * Deployment and Service work after a sync): writes are then the tool's own.
 */
function settled(kubectl: string, kubeconfig: string, ns: string): Map<string, string> {
  let last = resourceVersions(kubectl, kubeconfig, ns);
  for (let i = 0; i < 30; i++) {
    execFileSync('sleep', ['1']);
    const now = resourceVersions(kubectl, kubeconfig, ns);
    if (writes(last, now) === 0) return now;
    last = now;
  }
  return last;
}

function writes(before: Map<string, string>, after: Map<string, string>): number {
  let n = 0;
  for (const [k, v] of after) if (before.get(k) !== v) n++;
  return n;
}

/** Starts bench/delay-proxy.ts in its own process (this one blocks while a tool runs). */
async function startDelayProxy(targetPort: string, rttMs: number): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'delay-proxy.ts'), targetPort, String(rttMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`delay proxy exited with ${code}`)));
  });
  return { port, child };
}

async function main(): Promise<void> {
  const state = await up();
  planePids = state.components.map((c) => ({ name: c.name, pid: c.pid }));
  const kubectl = path.join(ensureBinaries(), 'kubectl');
  const kubeconfig = state.kubeconfig;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-agent-'));
  const proxy = RTT_MS > 0 ? await startDelayProxy(new URL(state.server).port, RTT_MS) : undefined;
  // The tools reach the API server through the proxy when there is one; the benchmark's own reads do not.
  const toolKubeconfig = proxy ? path.join(work, 'kubeconfig') : kubeconfig;
  if (proxy)
    fs.writeFileSync(
      toolKubeconfig,
      fs.readFileSync(kubeconfig, 'utf8').replace(state.server, `https://127.0.0.1:${proxy.port}`),
    );
  const rows: string[] = [];
  // Where the CPU of a first sync goes: the tool's own process and each plane component.
  const cpuRows: string[] = [];
  const floors: string[] = [];
  try {
    for (const objects of SIZES) {
      const apps = Math.ceil(objects / 4);
      const m: Record<string, number[]> = {
        oursFirst: [],
        peerFirst: [],
        oursNoop: [],
        peerNoop: [],
        oursOne: [],
        peerOne: [],
        oursRss: [],
        peerRss: [],
      };
      // apiserver + etcd CPU seconds of each run, by the same keys.
      const cpu: Record<string, number[]> = {
        oursFirst: [],
        peerFirst: [],
        oursNoop: [],
        peerNoop: [],
        oursOne: [],
        peerOne: [],
      };
      const record = (key: string, r: Run) => {
        m[key].push(r.ms);
        cpu[key].push(r.serverCpuS);
        return r;
      };
      const firsts: Record<string, Run[]> = { ours: [], peer: [] };
      const w: Record<string, number[]> = { oursNoop: [], peerNoop: [], oursOne: [], peerOne: [] };
      for (let rep = 0; rep < REPS; rep++) {
        for (const tool of rep % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) {
          const ns = `bench-${objects}-${rep}-${tool}-${RUN}`;
          const bench = ns;
          execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
          const manifests = (value: string, changed = -1) =>
            Array.from({ length: apps }, (_, i) => app(i, ns, bench, i === changed ? value : 'v1'));
          const dir = path.join(work, ns);
          // The same three runs for either tool: `deploy` puts the objects where the tool
          // reads them, `run` runs it once.
          const measure = (deploy: (list: Manifest[][]) => void, run: () => Run) => {
            deploy(manifests('v1'));
            const first = record(`${tool}First`, run());
            m[`${tool}Rss`].push(first.rssMiB);
            firsts[tool].push(first);
            let before = settled(kubectl, kubeconfig, ns);
            record(`${tool}Noop`, run());
            w[`${tool}Noop`].push(writes(before, resourceVersions(kubectl, kubeconfig, ns)));
            deploy(manifests('v2', Math.floor(apps / 2)));
            before = settled(kubectl, kubeconfig, ns);
            record(`${tool}One`, run());
            w[`${tool}One`].push(writes(before, resourceVersions(kubectl, kubeconfig, ns)));
          };
          if (tool === 'ours') {
            const remote = TestRemote.at(dir);
            const publish = (list: Manifest[][]) => {
              remote.publish(
                'deploy',
                synthopsTree('bench', Object.fromEntries(list.map((objs, k) => [`app-${k}`, objs]))),
              );
            };
            measure(publish, () =>
              timed(process.execPath, [
                ...NODE_FLAGS,
                '--require',
                RSS,
                SYNTHOPS_BIN,
                ...agentOnceArgs({
                  repo: remote.fileUrl,
                  kubeconfig: toolKubeconfig,
                  agentNamespace: ns,
                  timeout: '10m',
                  workdir: path.join(dir, 'checkout'),
                  extra: WAIT ? [] : ['--no-wait'],
                }),
              ]),
            );
          } else {
            fs.mkdirSync(dir, { recursive: true });
            const file = path.join(dir, 'all.yaml');
            // kubectl 1.34 prunes server-side applied objects only through an ApplySet (alpha).
            measure(
              (list) => fs.writeFileSync(file, list.flat().map(toYaml).join('---\n')),
              () =>
                timed(
                  kubectl,
                  [
                    '--kubeconfig',
                    toolKubeconfig,
                    'apply',
                    '--server-side',
                    '--force-conflicts',
                    '--field-manager',
                    'kubectl-bench',
                    '--prune',
                    `--applyset=${bench}`,
                    '-n',
                    ns,
                    '-f',
                    file,
                  ],
                  { ...process.env, KUBECTL_APPLYSET: 'true' },
                ),
            );
          }
          // Wait until it is gone: deleting 1000 objects in the background would load the
          // control plane during the next measurement.
          execFileSync(
            kubectl,
            ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=true', '--timeout=300s'],
            { stdio: 'ignore' },
          );
        }
      }
      const f = (x: number) => `${(x / 1000).toFixed(2)} s`;
      const r = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x`;
      const c = (k: string) => `${median(cpu[`ours${k}`]).toFixed(1)} s vs ${median(cpu[`peer${k}`]).toFixed(1)} s`;
      rows.push(
        `| ${objects} | first sync | ${f(median(m.oursFirst))} | ${f(median(m.peerFirst))} | ${r(m.oursFirst, m.peerFirst)} | | ${c('First')} | ${median(m.oursRss).toFixed(0)} vs ${median(m.peerRss).toFixed(0)} MiB |`,
      );
      rows.push(
        `| ${objects} | no-op | ${f(median(m.oursNoop))} | ${f(median(m.peerNoop))} | ${r(m.oursNoop, m.peerNoop)} | writes: ${Math.max(...w.oursNoop)} vs ${Math.max(...w.peerNoop)} | ${c('Noop')} | |`,
      );
      rows.push(
        `| ${objects} | one changed | ${f(median(m.oursOne))} | ${f(median(m.peerOne))} | ${r(m.oursOne, m.peerOne)} | writes: ${Math.max(...w.oursOne)} vs ${Math.max(...w.peerOne)}; ${(median(m.oursOne) / median(m.oursFirst)).toFixed(2)}x of our first sync | ${c('One')} | |`,
      );
      const cpuMedian = (runs: Run[], pick: (r: Run) => number) => median(runs.map(pick)).toFixed(1);
      const names = planePids.map((c) => c.name);
      for (const tool of ['ours', 'peer']) {
        const runs = firsts[tool];
        cpuRows.push(
          `| ${objects} | ${tool === 'ours' ? 'synthops' : 'kubectl'} | ${f(median(runs.map((r) => r.ms)))} | ${cpuMedian(runs, (r) => r.toolCpuS)} | ${names.map((n) => cpuMedian(runs, (r) => r.planeCpuS[n])).join(' | ')} | ${cpuMedian(runs, (r) => r.toolCpuS + Object.values(r.planeCpuS).reduce((a, x) => a + x, 0))} |`,
        );
      }
      // The plane's work during kubectl's first sync, spread over every core: about the
      // shortest first sync any tool creating these objects can reach on this machine
      // (an estimate: some of the controller-manager's reaction could finish after a
      // faster tool has exited).
      const planeOnly = median(firsts.peer.map((r) => Object.values(r.planeCpuS).reduce((a, x) => a + x, 0)));
      const floorS = planeOnly / os.cpus().length;
      floors.push(
        `${objects} objects: the control plane spent ${planeOnly.toFixed(1)} CPU-s during kubectl's first sync, ${floorS.toFixed(2)} s of all ${os.cpus().length} cores: a tool creating the same objects cannot go much below ${((floorS * 1000) / median(m.peerFirst)).toFixed(2)}x of kubectl here`,
      );
      process.stderr.write(`done: ${objects} objects\n`);
    }
  } finally {
    proxy?.child.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `agent benchmark: median of ${REPS} alternating runs per figure; each a fresh process (git fetch, load, validate, apply, health) vs kubectl apply --server-side --prune; node ${process.version}, ${os.cpus().length} CPUs${RTT_MS > 0 ? `; both tools ${RTT_MS} ms round trip from the API server` : ''}`,
  );
  console.log(
    '| objects | case | synthops agent --once | kubectl apply --server-side --prune --applyset | ratio | notes | apiserver+etcd CPU (synthops vs kubectl) | peak RSS (synthops vs kubectl) |',
  );
  console.log('|---:|---|---:|---:|---:|---|---:|---:|');
  for (const row of rows) console.log(row);
  console.log('');
  console.log('CPU seconds of a first sync (medians; 2 cores give 2 CPU-seconds per second of wall time):');
  console.log(`| objects | tool | wall | tool process | ${planePids.map((c) => c.name).join(' | ')} | total |`);
  console.log(`|---:|---|---:|---:|${planePids.map(() => '---:|').join('')}---:|`);
  for (const row of cpuRows) console.log(row);
  for (const floor of floors) console.log(`floor (estimate) at ${floor}`);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
