/**
 * `npm run bench:render`: rendering Kustomize sources, in the same run as the peer.
 *
 * (a) Render and reconcile a kustomize source of 1000 objects (250 apps of 4, as in
 *     bench:agent) with `synthops agent --once` against
 *     `kustomize build | kubectl apply --server-side` (the pinned kustomize, the plane's
 *     kubectl): the first sync into an empty namespace, then a no-op (rendered again).
 * (b) 100 kustomize folders of 10 objects, one line of one changed: rendering all 100
 *     again through the render cache (99 hits, keyed by input digest) against a full
 *     render of all 100 (no cache), and the peer `kustomize build` of each folder; and
 *     the same at synth time: 100 apps with a Kustomization each, a re-synth with the
 *     synth cache against `synth --no-cache`.
 *
 * Prints Markdown tables (median of BENCH_REPS); no test asserts on time.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RenderedSource, renderSource } from '../src/agent/source/render';
import { Manifest } from '../src/model/manifest';
import { RenderCache } from '../src/render/cache';
import { findTool } from '../src/render/tools';
import { toYaml } from '../src/synth/serialize';
import { ensureBinaries, up } from '../test/cluster/plane';
import { linkNodeModules } from '../test/harness/config-repo';
import { TestRemote } from '../test/harness/git';
import { benchApp } from './app-objects';
import { agentOnceArgs } from '../test/harness/once-args';

const REPO_ROOT = path.resolve(__dirname, '..');
const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 1000);
const FOLDERS = Number(process.env.BENCH_FOLDERS ?? 100);
const RUN = Date.now().toString(36);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** Four objects of one app, as bench:agent has them. */
function app(i: number, ns: string, bench: string): Manifest[] {
  return benchApp(i, ns, { bench });
}

/** A kustomization with one resource file per app: `files` of a tree. */
function kustomizeTree(apps: number, ns: string, bench: string): Record<string, string> {
  const files: Record<string, string> = {};
  const names: string[] = [];
  for (let i = 0; i < apps; i++) {
    const f = `app-${i}.yaml`;
    names.push(f);
    files[f] = app(i, ns, bench).map(toYaml).join('---\n');
  }
  files['kustomization.yaml'] = `resources:\n${names.map((n) => `  - ${n}`).join('\n')}\n`;
  return files;
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

/** (a) agent --once of a kustomize source vs kustomize build | kubectl apply --server-side. */
async function reconcileBench(work: string): Promise<string[]> {
  const state = await up();
  const kubectl = path.join(ensureBinaries(), 'kubectl');
  const kubeconfig = state.kubeconfig;
  const kustomize = findTool('kustomize').path;
  const apps = Math.ceil(OBJECTS / 4);
  const m: Record<string, number[]> = { oursFirst: [], peerFirst: [], oursNoop: [], peerNoop: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const tool of rep % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) {
      const ns = `bench-render-${rep}-${tool}-${RUN}`;
      execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', ns], { stdio: 'ignore' });
      const dir = path.join(work, ns);
      const files = kustomizeTree(apps, ns, ns);
      let once: () => void;
      if (tool === 'ours') {
        const remote = TestRemote.at(dir);
        remote.publish('deploy', files);
        once = () =>
          run(process.execPath, [
            BIN,
            ...agentOnceArgs({
              repo: remote.fileUrl,
              app: 'bench',
              kubeconfig,
              agentNamespace: ns,
              timeout: '10m',
              workdir: path.join(dir, 'checkout'),
              extra: ['--no-wait'],
            }),
          ]);
      } else {
        const src = path.join(dir, 'src');
        writeTree(src, files);
        once = () =>
          run('sh', [
            '-c',
            `"$0" build "$1" | "$2" --kubeconfig "$3" apply --server-side --field-manager kubectl-bench -f -`,
            kustomize,
            src,
            kubectl,
            kubeconfig,
          ]);
      }
      m[`${tool}First`].push(timed(once));
      m[`${tool}Noop`].push(timed(once));
      // Each figure as it is measured: a loaded machine can make a whole run long.
      console.error(`${tool}: first sync ${secs(m[`${tool}First`].at(-1)!)}, no-op ${secs(m[`${tool}Noop`].at(-1)!)}`);
      try {
        execFileSync(
          kubectl,
          ['--kubeconfig', kubeconfig, 'delete', 'namespace', ns, '--wait=true', '--timeout=600s'],
          {
            stdio: 'ignore',
          },
        );
      } catch {
        // A deletion that outlasts the wait on a loaded plane goes on in the background.
        console.error(`namespace ${ns}: still being deleted`);
      }
    }
  }
  const row = (what: string, k: string) =>
    `| ${OBJECTS} objects, ${what} | ${secs(median(m[`ours${k}`]))} | ${secs(median(m[`peer${k}`]))} | ${(median(m[`ours${k}`]) / median(m[`peer${k}`])).toFixed(2)}x |`;
  return [
    '| kustomize source | synthops agent --once | kustomize build \\| kubectl apply --server-side | ratio |',
    '|---|---|---|---|',
    row('first sync', 'First'),
    row('no-op (rendered again)', 'Noop'),
  ];
}

/** 100 folders of 10 ConfigMaps each (a kustomization and one file). */
function folders(root: string, prefix: string): string[] {
  const rels: string[] = [];
  for (let i = 0; i < FOLDERS; i++) {
    const rel = `${prefix}/k${i}`;
    const docs = Array.from({ length: 10 }, (_, j) =>
      toYaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}-${j}` }, data: { value: 'v1' } }),
    );
    writeTree(path.join(root, rel), {
      'kustomization.yaml': 'resources:\n  - objects.yaml\n',
      'objects.yaml': docs.join('---\n'),
    });
    rels.push(rel);
  }
  return rels;
}

function changeOne(root: string, rel: string, value: string): void {
  const f = path.join(root, rel, 'objects.yaml');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/value: \S+/, `value: ${value}`));
}

/** (b) one changed folder of 100: the render cache and the synth cache against a full render. */
function rerenderBench(work: string): string[] {
  const checkout = path.join(work, 'checkout');
  const rels = folders(checkout, 'sources');
  const kustomize = findTool('kustomize').path;
  const renderAll = (cache: RenderCache<RenderedSource> | false) => {
    for (const rel of rels)
      renderSource({ checkout, path: rel, layout: 'kustomize', settings: {}, app: 'a', namespace: 'default', cache });
  };
  const full: number[] = [];
  const cached: number[] = [];
  const peer: number[] = [];
  const cache = new RenderCache<RenderedSource>();
  renderAll(cache); // the previous revision
  for (let rep = 0; rep < REPS; rep++) {
    changeOne(checkout, rels[rep % rels.length], `r${rep}`);
    const before = cache.stats;
    cached.push(timed(() => renderAll(cache)));
    const { hits, misses } = cache.stats;
    if (hits - before.hits !== rels.length - 1 || misses - before.misses !== 1)
      throw new Error(`render cache: expected ${rels.length - 1} hits and 1 miss`);
    full.push(timed(() => renderAll(false)));
    peer.push(
      timed(() => {
        for (const rel of rels) run(kustomize, ['build', path.join(checkout, rel)]);
      }),
    );
  }

  // Synth time: one app per folder, each a Kustomization.
  const repo = path.join(work, 'config');
  const synthRels = folders(repo, 'kustomize');
  writeTree(repo, {
    'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`,
    ...Object.fromEntries(
      synthRels.map((rel, i) => [
        `apps/a${i}.ts`,
        `import { Kustomization, defineApp } from 'synthops';\nexport default defineApp({ name: 'a${i}', build: (app) => { new Kustomization(app, 'k', { path: '${rel}' }); } });\n`,
      ]),
    ),
  });
  linkNodeModules(repo);
  const synth = (out: string, ...flags: string[]) =>
    run(process.execPath, [BIN, 'synth', '--root', repo, '--out', path.join(work, out), ...flags]);
  synth('dist'); // fills the synth cache
  const synthFull: number[] = [];
  const synthCached: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    changeOne(repo, synthRels[rep % synthRels.length], `r${rep}`);
    synthCached.push(timed(() => synth('dist')));
    synthFull.push(timed(() => synth('dist-full', '--no-cache')));
  }
  const ratio = (a: number[], b: number[]) => `${(median(a) / median(b)).toFixed(2)}x`;
  return [
    `| ${FOLDERS} kustomize folders, one line of one changed | synthops, cached by input digest | synthops, full render | kustomize build of each | cached / full |`,
    '|---|---|---|---|---|',
    `| agent render (in process) | ${secs(median(cached))} | ${secs(median(full))} | ${secs(median(peer))} | ${ratio(cached, full)} |`,
    `| synth (Kustomization per app) | ${secs(median(synthCached))} | ${secs(median(synthFull))} (\`--no-cache\`) | | ${ratio(synthCached, synthFull)} |`,
  ];
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bench-render-'));
  try {
    const only = process.env.BENCH_PART; // 'a' or 'b': one part only
    // Each table as soon as it is measured.
    if (only !== 'a') console.log(`${rerenderBench(work).join('\n')}\n`);
    if (only !== 'b') console.log((await reconcileBench(work)).join('\n'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
