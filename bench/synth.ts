/**
 * `npm run bench:synth`, two tables:
 *
 * 1. A full synth: synthops synth (`--no-cache`, so every repetition renders every
 *    app) vs plain cdk8s-plus-28 `app.synth()` of the same objects (Deployment +
 *    Service + ConfigMap per app), 100 and 1000 apps.
 * 2. A re-synth after changing 1 of N apps: a repo with one module per app; each
 *    repetition changes the output of one app and runs `synthops synth` (cache on),
 *    against a full synth (`--no-cache`) of the same repo. The re-synth's output is
 *    checked byte for byte against the full synth's.
 *
 * Every figure is a fresh process, TypeScript loaded by ts-node (transpile-only) for
 * both sides, alternating repetitions; median wall time, the ratio, and peak RSS.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { changeApp, writeCdk8sProgram, writeSynthopsRepo, writeSynthopsRepoPerApp } from './workload';

const REPO_ROOT = path.resolve(__dirname, '..');
const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
const RSS = path.join(__dirname, 'rss.js');
const REPS = Number(process.env.BENCH_REPS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '100,1000').split(',').map(Number);

interface Sample {
  readonly ms: number;
  readonly rssMiB: number;
  readonly stdout: string;
}

function runOnce(args: string[], cwd: string): Sample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', RSS, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`benchmark child failed (${args.join(' ')}):\n${r.stderr}`);
  const kb = Number(/BENCH_MAXRSS_KB (\d+)/.exec(r.stderr)?.[1] ?? 0);
  return { ms, rssMiB: kb / 1024, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const ms = (samples: readonly Sample[]) => median(samples.map((s) => s.ms));
const rss = (samples: readonly Sample[]) => `${median(samples.map((s) => s.rssMiB)).toFixed(0)} MiB`;

/** Every file under `dir`, relative path -> content. */
function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out;
}

function sameTrees(a: string, b: string): boolean {
  const [ta, tb] = [readTree(a), readTree(b)];
  return ta.size === tb.size && [...ta].every(([k, v]) => tb.get(k) === v);
}

function synthArgs(repo: string, out: string, ...flags: string[]): string[] {
  return [BIN, 'synth', '--root', repo, '--out', out, ...flags];
}

function main(): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-'));
  const peerMs = new Map<number, number>();
  try {
    console.log(
      `synth benchmark: ${REPS} alternating repetitions, median wall time of a fresh process; node ${process.version}, ${os.cpus().length} CPUs`,
    );
    console.log('\nFull synth (synthops with --no-cache):\n');
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
        ours.push(runOnce(synthArgs(repo, path.join(repo, 'dist'), '--no-cache'), repo));
        peer.push(
          runOnce(
            ['--require', 'ts-node/register/transpile-only', path.join(plain, 'main.ts'), path.join(plain, 'dist')],
            REPO_ROOT,
          ),
        );
      }
      const objects = fs.readdirSync(path.join(repo, 'dist', 'bench')).length * 3;
      const [o, p] = [ms(ours), ms(peer)];
      peerMs.set(n, p);
      console.log(
        `| ${n} | ${objects} | ${o.toFixed(0)} ms | ${p.toFixed(0)} ms | ${(o / p).toFixed(2)}x | ${rss(ours)} | ${rss(peer)} |`,
      );
      fs.rmSync(repo, { recursive: true, force: true });
      fs.rmSync(plain, { recursive: true, force: true });
    }

    console.log(
      '\nRe-synth after changing 1 of N apps (one module per app; synthops synth with its cache, against a full synth with --no-cache):\n',
    );
    console.log(
      '| apps | objects | full synth | re-synth, 1 app changed | ratio | first synth, empty cache | plain cdk8s synth | re-synth peak RSS | output identical |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const n of SIZES) {
      const repo = path.join(work, `per-app-${n}`);
      writeSynthopsRepoPerApp(repo, n);
      const dist = path.join(repo, 'dist');
      // The full synth writes elsewhere, so the re-synth always starts from its own last output.
      const distFull = path.join(repo, 'dist-full');
      const first = runOnce(synthArgs(repo, dist), repo);
      const full: Sample[] = [];
      const resynth: Sample[] = [];
      for (let i = 0; i < REPS; i++) {
        changeApp(repo, (i * 7919) % n, `rev-${i + 1}`);
        const r = runOnce(synthArgs(repo, dist), repo);
        if (!/^cache: rendered 1 app module\(s\)/m.test(r.stdout))
          throw new Error(`expected one app module rendered:\n${r.stdout.split('\n').slice(-2).join('\n')}`);
        resynth.push(r);
        full.push(runOnce(synthArgs(repo, distFull, '--no-cache'), repo));
      }
      const identical = sameTrees(dist, distFull);
      if (!identical) throw new Error(`re-synth output differs from a full synth at ${n} apps`);
      const [f, r] = [ms(full), ms(resynth)];
      const peer = peerMs.get(n);
      console.log(
        `| ${n} | ${n * 3} | ${f.toFixed(0)} ms | ${r.toFixed(0)} ms | ${(r / f).toFixed(2)}x | ${first.ms.toFixed(0)} ms | ${peer === undefined ? '-' : `${peer.toFixed(0)} ms`} | ${rss(resynth)} | yes |`,
      );
      fs.rmSync(repo, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
