/**
 * `npm run bench:agent`: `synthops agent --once` against `kubectl apply --server-side
 * --prune` of the same objects, on the local control plane, in the same run:
 * first sync into an empty namespace, a no-op reconcile, and one changed object.
 * (kubectl prunes server-side applied objects only through an ApplySet: `--prune
 * --applyset`, with KUBECTL_APPLYSET=true.)
 * Apps of 4 objects like Flux's public benchmark: a Deployment scaled to 0, a
 * ServiceAccount, a Service and a ConfigMap. Writes are counted from resourceVersions.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureBinaries, up } from '../test/cluster/plane';
import { synthopsTree } from '../test/harness/agent';
import { Manifest } from '../src/synth/manifest';
import { toYaml } from '../src/synth/serialize';

const REPO_ROOT = path.resolve(__dirname, '..');
const RSS = path.join(__dirname, 'rss.js');
const SIZES = (process.env.BENCH_OBJECTS ?? '100,1000,4000').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const RUN = Date.now().toString(36);
// kubectl apply does not wait for health; by default neither does synthops here (BENCH_WAIT=1 to include it).
const WAIT = process.env.BENCH_WAIT === '1';

function app(i: number, ns: string, bench: string, configValue = 'v1'): Manifest[] {
  const name = `app-${i}`;
  const labels = { bench, 'synthops.dev/app': name };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels }, data: { value: configValue } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels },
      spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: name, containers: [{ name: 'web', image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390' }] } } },
    },
  ];
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd, encoding: 'utf8' }).trim();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Run { ms: number; rssMiB: number; serverCpuS: number }

let serverPids: number[] = [];

/** CPU seconds the apiserver and etcd have used so far (from /proc): what each tool costs the control plane. */
function serverCpu(): number {
  let ticks = 0;
  for (const pid of serverPids) {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return ticks / 100;
}

function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Run {
  // Node processes report their own peak RSS (bench/rss.js); others through GNU time when present.
  if (cmd !== process.execPath && fs.existsSync('/usr/bin/time')) [cmd, args] = ['/usr/bin/time', ['-f', 'BENCH_MAXRSS_KB %M', cmd, ...args]];
  const cpu0 = serverCpu();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: env ?? process.env });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr || r.stdout}`);
  const kb = Number(/BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0);
  return { ms, rssMiB: kb / 1024, serverCpuS: serverCpu() - cpu0 };
}

function resourceVersions(kubectl: string, kubeconfig: string, ns: string): Map<string, string> {
  const out = execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'get', 'deployments,services,configmaps,serviceaccounts', '-n', ns, '-l', 'bench', '-o', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
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

async function main(): Promise<void> {
  const state = await up();
  serverPids = state.components.filter((c) => c.name === 'kube-apiserver' || c.name === 'etcd').map((c) => c.pid);
  const kubectl = path.join(ensureBinaries(), 'kubectl');
  const kubeconfig = state.kubeconfig;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-agent-'));
  const rows: string[] = [];
  try {
    for (const objects of SIZES) {
      const apps = Math.ceil(objects / 4);
      const m: Record<string, number[]> = { oursFirst: [], peerFirst: [], oursNoop: [], peerNoop: [], oursOne: [], peerOne: [], oursRss: [], peerRss: [] };
      // apiserver + etcd CPU seconds of each run, by the same keys.
      const cpu: Record<string, number[]> = { oursFirst: [], peerFirst: [], oursNoop: [], peerNoop: [], oursOne: [], peerOne: [] };
      const record = (key: string, r: Run) => { m[key].push(r.ms); cpu[key].push(r.serverCpuS); return r; };
      const w: Record<string, number[]> = { oursNoop: [], peerNoop: [], oursOne: [], peerOne: [] };
      for (let rep = 0; rep < REPS; rep++) {
        for (const tool of rep % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) {
          const ns = `bench-${objects}-${rep}-${tool}-${RUN}`;
          const bench = ns;
          execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
          const manifests = (value: string, changed = -1) => Array.from({ length: apps }, (_, i) => app(i, ns, bench, i === changed ? value : 'v1'));
          const dir = path.join(work, ns);
          // The same three runs for either tool: `deploy` puts the objects where the tool
          // reads them, `run` runs it once.
          const measure = (deploy: (list: Manifest[][]) => void, run: () => Run) => {
            deploy(manifests('v1'));
            m[`${tool}Rss`].push(record(`${tool}First`, run()).rssMiB);
            let before = settled(kubectl, kubeconfig, ns);
            record(`${tool}Noop`, run());
            w[`${tool}Noop`].push(writes(before, resourceVersions(kubectl, kubeconfig, ns)));
            deploy(manifests('v2', Math.floor(apps / 2)));
            before = settled(kubectl, kubeconfig, ns);
            record(`${tool}One`, run());
            w[`${tool}One`].push(writes(before, resourceVersions(kubectl, kubeconfig, ns)));
          };
          if (tool === 'ours') {
            const bare = path.join(dir, 'deploy.git');
            const wt = path.join(dir, 'work');
            fs.mkdirSync(wt, { recursive: true });
            git(dir, 'init', '-q', '--bare', bare);
            const publish = (list: Manifest[][]) => {
              for (const e of fs.readdirSync(wt)) if (e !== '.git') fs.rmSync(path.join(wt, e), { recursive: true, force: true });
              const tree = synthopsTree('bench', Object.fromEntries(list.map((objs, i) => [`app-${i}`, objs])));
              for (const [rel, content] of Object.entries(tree)) {
                fs.mkdirSync(path.dirname(path.join(wt, rel)), { recursive: true });
                fs.writeFileSync(path.join(wt, rel), content);
              }
              if (!fs.existsSync(path.join(wt, '.git'))) { git(wt, 'init', '-q', '-b', 'deploy'); git(wt, 'remote', 'add', 'origin', bare); }
              git(wt, 'add', '-A');
              git(wt, 'commit', '-qm', 'publish');
              git(wt, 'push', '-q', 'origin', 'deploy');
            };
            measure(publish, () => timed(process.execPath, ['--require', RSS, path.join(REPO_ROOT, 'bin', 'synthops'), 'agent', '--once', '--repo', `file://${bare}`, '--branch', 'deploy',
              '--kubeconfig', kubeconfig, '--agent-namespace', ns, '--timeout', '10m', '--workdir', path.join(dir, 'checkout'), ...(WAIT ? [] : ['--no-wait'])]));
          } else {
            fs.mkdirSync(dir, { recursive: true });
            const file = path.join(dir, 'all.yaml');
            // kubectl 1.34 prunes server-side applied objects only through an ApplySet (alpha).
            measure((list) => fs.writeFileSync(file, list.flat().map(toYaml).join('---\n')),
              () => timed(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '--field-manager', 'kubectl-bench', '--prune', `--applyset=${bench}`, '-n', ns, '-f', file], { ...process.env, KUBECTL_APPLYSET: 'true' }));
          }
          // Wait until it is gone: deleting 1000 objects in the background would load the
          // control plane during the next measurement.
          execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=true', '--timeout=300s'], { stdio: 'ignore' });
        }
      }
      const f = (x: number) => `${(x / 1000).toFixed(2)} s`;
      const r = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x`;
      const c = (k: string) => `${median(cpu[`ours${k}`]).toFixed(1)} s vs ${median(cpu[`peer${k}`]).toFixed(1)} s`;
      rows.push(`| ${objects} | first sync | ${f(median(m.oursFirst))} | ${f(median(m.peerFirst))} | ${r(m.oursFirst, m.peerFirst)} | | ${c('First')} | ${median(m.oursRss).toFixed(0)} vs ${median(m.peerRss).toFixed(0)} MiB |`);
      rows.push(`| ${objects} | no-op | ${f(median(m.oursNoop))} | ${f(median(m.peerNoop))} | ${r(m.oursNoop, m.peerNoop)} | writes: ${Math.max(...w.oursNoop)} vs ${Math.max(...w.peerNoop)} | ${c('Noop')} | |`);
      rows.push(`| ${objects} | one changed | ${f(median(m.oursOne))} | ${f(median(m.peerOne))} | ${r(m.oursOne, m.peerOne)} | writes: ${Math.max(...w.oursOne)} vs ${Math.max(...w.peerOne)}; ${(median(m.oursOne) / median(m.oursFirst)).toFixed(2)}x of our first sync | ${c('One')} | |`);
      process.stderr.write(`done: ${objects} objects\n`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`agent benchmark: median of ${REPS} alternating runs per figure; each a fresh process (git fetch, load, validate, apply, health) vs kubectl apply --server-side --prune; node ${process.version}, ${os.cpus().length} CPUs`);
  console.log('| objects | case | synthops agent --once | kubectl apply --server-side --prune --applyset | ratio | notes | apiserver+etcd CPU (synthops vs kubectl) | peak RSS (synthops vs kubectl) |');
  console.log('|---:|---|---:|---:|---:|---|---:|---:|');
  for (const row of rows) console.log(row);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
