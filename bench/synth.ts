/**
 * `npm run bench:synth`: synthops synth vs plain cdk8s-plus-28 `app.synth()` of
 * the same objects (Deployment + Service + ConfigMap per app), 100 and 1000 apps.
 * Both run as fresh processes, TypeScript loaded by ts-node (transpile-only) for
 * both, alternating repetitions; prints median wall time, the ratio, and peak RSS.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeCdk8sProgram, writeSynthopsRepo } from './workload';

const REPO_ROOT = path.resolve(__dirname, '..');
const RSS = path.join(__dirname, 'rss.js');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number);

interface Sample { readonly ms: number; readonly rssMiB: number }

function runOnce(args: string[], cwd: string): Sample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', RSS, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`benchmark child failed (${args.join(' ')}):\n${r.stderr}`);
  const kb = Number(/BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0);
  return { ms, rssMiB: kb / 1024 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-'));
  try {
    console.log(`synth benchmark: ${REPS} alternating repetitions, median wall time of a fresh process; node ${process.version}, ${os.cpus().length} CPUs`);
    console.log('| apps | objects | synthops synth | plain cdk8s synth | ratio | synthops peak RSS | cdk8s peak RSS |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|');
    for (const n of SIZES) {
      const repo = path.join(work, `synthops-${n}`);
      const plain = path.join(work, `cdk8s-${n}`);
      writeSynthopsRepo(repo, n);
      writeCdk8sProgram(plain, n);
      const ours: Sample[] = [];
      const peer: Sample[] = [];
      for (let i = 0; i < REPS; i++) {
        ours.push(runOnce([path.join(REPO_ROOT, 'bin', 'synthops'), 'synth', '--root', repo, '--out', path.join(repo, 'dist')], repo));
        peer.push(runOnce(['--require', 'ts-node/register/transpile-only', path.join(plain, 'main.ts'), path.join(plain, 'dist')], REPO_ROOT));
      }
      const objects = fs.readdirSync(path.join(repo, 'dist', 'bench')).length * 3;
      const [o, p] = [median(ours.map((s) => s.ms)), median(peer.map((s) => s.ms))];
      console.log(`| ${n} | ${objects} | ${o.toFixed(0)} ms | ${p.toFixed(0)} ms | ${(o / p).toFixed(2)}x | ${median(ours.map((s) => s.rssMiB)).toFixed(0)} MiB | ${median(peer.map((s) => s.rssMiB)).toFixed(0)} MiB |`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
