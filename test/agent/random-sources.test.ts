/**
 * Randomized: hundreds of revisions over three sources (two folders of one repo, one
 * of them synthops output with several apps, and a second repo) sharing one agent
 * namespace and environment, against the real apiserver. Random adds, removes,
 * renames, mass removals, data changes, apps coming and going, repeated runs of the
 * same revision, restarts (fresh checkout and client), approvals (`Allow-Prune:`
 * commits), and a rival source claiming an app that another owns. After every run the
 * cluster must equal what Git and the guards say: no object missing, none extra, none
 * pruned without approval, every app's held and pruned counts as the model predicts.
 *
 * The model of the guards below is written from the rules, not from the code: removals
 * are measured against the app's last converged set (minus what left the inventory);
 * all of it, more than half of it, or a whole app is held unless the commit allows it.
 *
 * SYNTHOPS_SEED=<n> replays a run; SYNTHOPS_RANDOM_REVISIONS=<n> changes its length.
 */
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { test, TestContext } from 'node:test';
import { KubeClient } from '../../src/kube/client';
import { Discovery } from '../../src/kube/discovery';
import { ObjectClient } from '../../src/kube/objects';
import { ReconcileResult } from '../../src/agent/reconcile/reconcile';
import { toYaml } from '../../src/synth/serialize';
import { configMap, runOnce, synthopsTree } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

const REVISIONS = Number(process.env.SYNTHOPS_RANDOM_REVISIONS ?? 200);
const SEED = Number(process.env.SYNTHOPS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: small, seedable, good enough to pick test steps. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A bare repository committed to directly through a work tree beside it: two git
 * commands a commit (TestRemote's publish takes eight; this test makes hundreds).
 */
class FastRemote {
  public readonly fileUrl: string;
  private readonly bare: string;
  private readonly work: string;

  constructor(t: TestContext) {
    const remote = TestRemote.create(t);
    this.bare = remote.bare;
    this.fileUrl = remote.fileUrl;
    this.work = path.join(remote.root, 'fast');
    fs.mkdirSync(this.work);
    this.git('symbolic-ref', 'HEAD', 'refs/heads/main');
  }

  private git(...args: string[]): void {
    execFileSync(
      'git',
      [
        '-c',
        'user.name=synthops-test',
        '-c',
        'user.email=test@synthops.dev',
        `--git-dir=${this.bare}`,
        `--work-tree=${this.work}`,
        ...args,
      ],
      { stdio: 'ignore' },
    );
  }

  /** Makes branch main hold exactly `files` in a new commit. */
  public publish(files: Record<string, string>, message: string): void {
    fs.rmSync(this.work, { recursive: true, force: true });
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.work, rel)), { recursive: true });
      fs.writeFileSync(path.join(this.work, rel), content);
    }
    fs.mkdirSync(this.work, { recursive: true });
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
  }
}

/** What the model says an app's inventory records. */
interface ModelInventory {
  objects: Set<string>;
  /** undefined: never converged (the guards then use `objects`). */
  converged?: Set<string>;
}

/** One source: where it reads, what its folder holds (app -> object -> data), and its inventories as the model sees them. */
interface Source {
  readonly label: string;
  readonly repo: Repo;
  readonly folder: string;
  readonly layout: 'plain' | 'synthops';
  /** The plain app's name (`--app`, or the folder). */
  readonly plainApp?: string;
  readonly git: Map<string, Map<string, string>>;
  readonly inventories: Map<string, ModelInventory>;
  workdir: string;
  client: KubeClient;
}

/** One repo: its sources (folders) and what its tip commit allows. */
interface Repo {
  readonly remote: FastRemote;
  readonly sources: Source[];
  allowed: Set<string>;
  commits: number;
}

const diff = <T>(a: Set<T>, b: Set<T>) => new Set([...a].filter((x) => !b.has(x)));

test(`randomized: ${REVISIONS} revisions over three sources sharing one agent namespace`, {
  timeout: 15 * 60_000,
}, async (t) => {
  process.stdout.write(`# random-sources seed ${SEED} (replay: SYNTHOPS_SEED=${SEED}), ${REVISIONS} revisions\n`);
  const started = Date.now();
  const rand = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const ns = await testNamespace(t, 'rnd');
  const kubeconfig = await testKubeconfig();
  const clients: KubeClient[] = [];
  const newClient = () => {
    const c = KubeClient.fromKubeconfig(kubeconfig);
    clients.push(c);
    return c;
  };
  const dirs: string[] = [];
  const newWorkdir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-rnd-'));
    dirs.push(d);
    return d;
  };
  t.after(() => {
    for (const c of clients) c.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const reader = newClient();
  const objects = new ObjectClient(reader, new Discovery(reader));

  let counter = 0;
  const fresh = (app: string) => `${app}-o${++counter}`;
  const repo = (): Repo => ({ remote: new FastRemote(t), sources: [], allowed: new Set(), commits: 0 });
  const [one, two] = [repo(), repo()];
  const source = (label: string, r: Repo, folder: string, layout: Source['layout'], plainApp?: string): Source => {
    const s: Source = {
      label,
      repo: r,
      folder,
      layout,
      plainApp,
      git: new Map(),
      inventories: new Map(),
      workdir: newWorkdir(),
      client: newClient(),
    };
    r.sources.push(s);
    return s;
  };
  const alpha = source('alpha', one, 'alpha', 'plain', 'alpha');
  const multi = source('multi', one, 'multi', 'synthops');
  const gamma = source('gamma', two, '', 'plain', 'gamma');
  const sources = [alpha, multi, gamma];
  const rival = repo();
  for (const s of sources) {
    for (const app of s.layout === 'plain' ? [s.plainApp!] : ['m1', 'm2'])
      s.git.set(app, new Map(Array.from({ length: int(2, 5) }, () => [fresh(app), 'v0'])));
  }

  /** The live state the model expects: object -> [app, data]; and what it holds. */
  const cluster = new Map<string, { app: string; data: string }>();
  let revisions = 0;
  let runs = 0;
  let heldRuns = 0;
  let conflicts = 0;
  let approvals = 0;

  const files = (r: Repo): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const s of r.sources) {
      const prefix = s.folder ? `${s.folder}/` : '';
      if (s.layout === 'plain') {
        for (const [name, data] of s.git.get(s.plainApp!)!)
          out[`${prefix}${name}.yaml`] = toYaml(configMap(name, ns, { k: data }));
      } else {
        const apps = Object.fromEntries(
          [...s.git].map(([app, objs]) => [app, [...objs].map(([name, data]) => configMap(name, ns, { k: data }))]),
        );
        for (const [f, c] of Object.entries(synthopsTree('default', apps))) out[`${prefix}${f}`] = c;
      }
    }
    return out;
  };
  const publish = (r: Repo, allow: string[] = [], what = 'change') => {
    r.remote.publish(files(r), `${what} ${++r.commits}${allow.length ? `\n\nAllow-Prune: ${allow.join(', ')}` : ''}`);
    r.allowed = new Set(allow);
    revisions++;
  };

  /** The guards, as the model has them, for one app of a run; updates the model and says what the run must report. */
  const expect = (
    s: Source,
    app: string,
    desired: Map<string, string> | undefined,
  ): { held: number; pruned: number } => {
    const inv = s.inventories.get(app);
    const want = new Set(desired?.keys() ?? []);
    if (!inv) {
      s.inventories.set(app, { objects: want, converged: want });
      for (const [name, data] of desired!) cluster.set(name, { app, data });
      return { held: 0, pruned: 0 };
    }
    const base = new Set([...(inv.converged ?? inv.objects)].filter((o) => inv.objects.has(o)));
    const gone = diff(inv.objects, want);
    const removed = diff(base, want);
    const mass = !desired || (base.size > 0 && removed.size === base.size) || removed.size * 2 > base.size;
    const allowed = s.repo.allowed.has(app);
    const held = gone.size > 0 && mass && !allowed ? gone : new Set<string>();
    const pruned = diff(gone, held);
    for (const o of pruned) cluster.delete(o);
    for (const [name, data] of desired ?? []) cluster.set(name, { app, data });
    if (!desired && held.size === 0) s.inventories.delete(app);
    else if (!desired) inv.objects = held;
    else s.inventories.set(app, { objects: new Set([...want, ...held]), converged: held.size > 0 ? base : want });
    return { held: held.size, pruned: pruned.size };
  };

  const check = async (
    what: string,
    s: Source | undefined,
    result: ReconcileResult | undefined,
    expected: Map<string, { held: number; pruned: number; conflict?: boolean }>,
  ) => {
    const where = `seed ${SEED} (replay: SYNTHOPS_SEED=${SEED}), revision ${revisions}, run ${runs}: ${what}${s ? ` by ${s.label}` : ''}`;
    if (result) {
      const got = Object.fromEntries(
        result.apps.map((a) => [
          a.app,
          {
            held: a.held.length,
            pruned: a.pruned.length,
            ...(a.problems.some((p) => p.kind === 'source-conflict') ? { conflict: true } : {}),
          },
        ]),
      );
      assert.deepEqual(
        got,
        Object.fromEntries(expected),
        `${where}: ${JSON.stringify(result.apps.map((a) => [a.app, a.status, a.why]))}`,
      );
      for (const a of result.apps)
        if (!expected.get(a.app)?.conflict)
          assert.equal(a.problems.length, 0, `${where}: ${a.app}: ${a.errors.join('; ')}`);
      assert.equal(
        result.converged,
        [...expected.values()].every((e) => e.held === 0 && !e.conflict),
        where,
      );
    }
    const live = new Map(
      (await objects.list('v1', 'ConfigMap', ns, 'synthops.dev/app')).map((m) => [
        m.metadata.name,
        { app: m.metadata.labels!['synthops.dev/app'], data: (m.data as Record<string, string>).k },
      ]),
    );
    const expectedNames = new Set(cluster.keys());
    const liveNames = new Set(live.keys());
    const missing = [...diff(expectedNames, liveNames)];
    const extra = [...diff(liveNames, expectedNames)];
    const heldNow = new Set(
      sources.flatMap((x) =>
        [...x.inventories.entries()].flatMap(([app, inv]) => [...inv.objects].filter((o) => !x.git.get(app)?.has(o))),
      ),
    );
    const unapproved = missing.filter((o) => heldNow.has(o));
    assert.deepEqual(
      { missing, extra, unapproved },
      { missing: [], extra: [], unapproved: [] },
      `${where}: 0 missing, 0 extra, 0 pruned without approval`,
    );
    for (const [name, want] of cluster) assert.deepEqual(live.get(name), want, `${where}: ${name}`);
  };

  /** Runs one source at its repo's tip and checks the cluster against the model. */
  const run = async (s: Source, what: string) => {
    const expected = new Map<string, { held: number; pruned: number }>();
    for (const app of new Set([...s.git.keys(), ...s.inventories.keys()]))
      expected.set(app, expect(s, app, s.git.get(app)));
    runs++;
    const { result } = await runOnce(t, {
      repo: s.repo.remote.fileUrl,
      branch: 'main',
      ns,
      path: s.folder || undefined,
      app: s.plainApp,
      workdir: s.workdir,
      client: s.client,
    });
    if ([...expected.values()].some((e) => e.held > 0)) heldRuns++;
    await check(what, s, result, expected);
  };

  /** One random change to one app of a source (for synthops output, also apps coming and going). */
  const mutate = (s: Source): string => {
    if (s.layout === 'synthops') {
      const roll = rand();
      if (roll < 0.12 && s.git.size < 4) {
        const app = pick(['m1', 'm2', 'm3', 'm4', 'm5'].filter((a) => !s.git.has(a)));
        s.git.set(app, new Map(Array.from({ length: int(1, 4) }, () => [fresh(app), 'v0'])));
        return `add app ${app}`;
      }
      if (roll < 0.2 && s.git.size > 1) {
        const app = pick([...s.git.keys()]);
        s.git.delete(app);
        return `remove app ${app}`;
      }
    }
    const app = pick([...s.git.keys()]);
    const objs = s.git.get(app)!;
    const names = [...objs.keys()];
    const kind = pick(['add', 'add', 'remove', 'remove', 'rename', 'mass', 'data']);
    if (kind === 'add' || (names.length === 1 && (kind === 'remove' || kind === 'mass'))) {
      for (let i = int(1, 3); i > 0; i--) objs.set(fresh(app), `v${revisions}`);
      return `${app}: add`;
    }
    if (kind === 'remove') {
      objs.delete(pick(names));
      return `${app}: remove one of ${names.length}`;
    }
    if (kind === 'rename') {
      objs.clear();
      for (const _ of names) objs.set(fresh(app), `v${revisions}`);
      return `${app}: rename all ${names.length}`;
    }
    if (kind === 'mass') {
      const keep = int(1, Math.floor((names.length - 1) / 2));
      for (const n of names.slice(keep)) objs.delete(n);
      return `${app}: keep ${keep} of ${names.length}`;
    }
    objs.set(pick(names), `v${revisions}`);
    return `${app}: change data`;
  };

  /** Approves what a source holds (or, sometimes, an app that holds nothing) by a commit trailer. */
  const approve = async (s: Source) => {
    const holding = [...s.inventories.entries()]
      .filter(([app, inv]) => [...inv.objects].some((o) => !s.git.get(app)?.has(o)))
      .map(([app]) => app);
    const allow = holding.length > 0 && rand() < 0.85 ? holding : [pick([...s.git.keys()])];
    approvals++;
    publish(s.repo, allow, 'approve');
    await run(s, `Allow-Prune: ${allow.join(', ')}`);
  };

  /** A rival source claims an app another source owns: a conflict, nothing changes. */
  const rivalClaims = async () => {
    const owner = pick(sources.filter((x) => x.inventories.size > 0));
    const app = pick([...owner.inventories.keys()]);
    rival.remote.publish(
      synthopsTree('default', {
        [app]: [
          configMap(`rival-${app}`, ns, { k: 'rival' }),
          configMap([...owner.inventories.get(app)!.objects][0], ns, { k: 'rival' }),
        ],
      }),
      `claim ${app}`,
    );
    runs++;
    conflicts++;
    const { result } = await runOnce(t, {
      repo: rival.remote.fileUrl,
      branch: 'main',
      ns,
      workdir: newWorkdir(),
      client: reader,
      source: 'rival',
    });
    await check(
      `rival claims ${app} of ${owner.label}`,
      undefined,
      result,
      new Map([[app, { held: 0, pruned: 0, conflict: true }]]),
    );
  };

  for (const r of [one, two]) publish(r, [], 'initial');
  for (const s of sources) await run(s, 'first sync');

  while (revisions < REVISIONS) {
    const roll = rand();
    const s = pick(sources);
    if (roll < 0.62) {
      const what = mutate(s);
      publish(s.repo, [], what);
      await run(s, what);
      // The other folder of the same repo sees a new commit that leaves it alone.
      if (rand() < 0.3) for (const sib of s.repo.sources.filter((x) => x !== s)) await run(sib, `sibling of "${what}"`);
    } else if (roll < 0.74) {
      await approve(s);
    } else if (roll < 0.84) {
      await run(s, 'the same revision again');
    } else if (roll < 0.91) {
      s.workdir = newWorkdir();
      s.client = newClient();
      await run(s, 'restart: fresh checkout and client');
    } else if (roll < 0.96) {
      for (const x of sources) await run(x, 'every source reconciles');
    } else {
      await rivalClaims();
    }
  }
  // Short runs (SYNTHOPS_RANDOM_REVISIONS) still see each kind of step once.
  if (conflicts === 0) await rivalClaims();
  if (approvals === 0) await approve(pick(sources));
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `# random-sources: ${revisions} revisions, ${runs} runs (${heldRuns} with holds, ${approvals} approvals, ${conflicts} rival conflicts), ${counter} objects in ${seconds.toFixed(0)} s\n`,
  );
  assert.ok(
    heldRuns > 0 && approvals > 0 && conflicts > 0,
    `seed ${SEED}: the run exercised holds, approvals and conflicts`,
  );
});
