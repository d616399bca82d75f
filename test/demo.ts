/**
 * `npm run demo`: the whole loop on this machine in one command. Starts the local
 * control plane (building it first if needed, with progress), copies the example apps
 * (apps/) into a fresh config repo, publishes them to a local bare deploy repo with
 * `synthops publish`, runs the long-running agent against it, bumps one image through
 * `synthops set-image` + `publish` (the webhook tells the agent), and prints the status
 * table, the commit-to-converged time and how to open the UI and stop everything.
 *
 *   npm run demo                 everything, then waits; Ctrl-C stops what it started
 *   npm run demo -- --detach     the same, but leaves the agent running and exits
 *   npm run demo -- --down       stops what a demo started (never a plane it did not start)
 *
 * What it started is recorded in <dir>/demo.json (PIDs with their command lines, so a
 * reused PID is never signalled). Environment: SYNTHOPS_DEMO_DIR (default
 * <tmp>/synthops-demo), SYNTHOPS_DEMO_NAMESPACE (the agent's namespace, default
 * synthops-system), SYNTHOPS_DEMO_QUICK=1 (a 2 s poll interval and shorter waits, for
 * the tests).
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { createHmac, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AppSync, StatusStore } from '../src/agent/state/status-store';
import { KubeClient } from '../src/kube/client';
import { loadKubeconfig } from '../src/kube/kubeconfig';
import { PlaneState, down as planeDown, isHealthy, readState, up } from './cluster/plane';
import { linkNodeModules } from './harness/config-repo';
import { freePort } from './harness/net';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'synthops');
const DIR = path.resolve(process.env.SYNTHOPS_DEMO_DIR ?? path.join(os.tmpdir(), 'synthops-demo'));
const STATE = path.join(DIR, 'demo.json');
const QUICK = process.env.SYNTHOPS_DEMO_QUICK === '1';
const AGENT_NS = process.env.SYNTHOPS_DEMO_NAMESPACE ?? 'synthops-system';
const ENV = 'dev';
const BUMP_APP = 'simple-web-app';
const BUMP_IMAGE = 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7';
const GIT_ID = ['-c', 'user.name=synthops demo', '-c', 'user.email=demo@synthops.dev'];

/** A process the demo started: its PID and the command line it was started with. */
interface Started {
  readonly name: string;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly log: string;
}

/** What `--down` needs: the processes, and whether the control plane is the demo's to stop. */
interface DemoState {
  readonly dir: string;
  readonly processes: Started[];
  /** The demo is starting the plane (it was not running): an interrupt now stops what of it started. @default false */
  planeStarting?: boolean;
  /** The demo started the plane: the PIDs it had then (stopped only if they are still its). @default - the demo did not start it */
  plane?: Array<{ readonly name: string; readonly pid: number }>;
  /** The plane's admin kubeconfig. @default - not known yet */
  kubeconfig?: string;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function step(n: number, text: string): void {
  say(`[${n}/6] ${text}`);
}

function save(state: DemoState): void {
  fs.mkdirSync(DIR, { recursive: true });
  fs.writeFileSync(STATE, `${JSON.stringify(state, null, 2)}\n`);
}

function load(): DemoState | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

/** Whether `p` still runs the command line the demo started it with (not a reused PID, not a zombie). */
function isOurs(p: Pick<Started, 'pid' | 'argv'>): boolean {
  try {
    if (/^State:\s+Z/m.test(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))) return false;
    const argv = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return JSON.stringify(argv) === JSON.stringify(p.argv);
  } catch {
    return false;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Stops exactly what the demo recorded; the plane only if the demo started it and it is still that plane. */
async function down(state: DemoState | undefined = load()): Promise<void> {
  if (!state) {
    say(`synthops demo: nothing to stop (no ${STATE})`);
    return;
  }
  for (const p of state.processes) {
    if (!isOurs(p)) continue;
    say(`stopping ${p.name} (pid ${p.pid})`);
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* gone meanwhile */
    }
    const deadline = Date.now() + 25_000;
    while (isOurs(p) && Date.now() < deadline) await sleep(100);
    if (isOurs(p)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
  if (state.planeStarting) {
    say('stopping the local control plane the demo was starting');
    await planeDown();
  } else if (state.plane) {
    const current = readState();
    const same =
      current &&
      current.components.length === state.plane.length &&
      current.components.every((c, i) => c.pid === state.plane![i].pid && c.name === state.plane![i].name);
    if (same) {
      say('stopping the local control plane (the demo started it)');
      await planeDown();
    } else say('the control plane the demo started is gone or was replaced; leaving it alone');
  } else say('the local control plane was running before the demo: left running');
  fs.rmSync(DIR, { recursive: true, force: true });
  say(`removed ${DIR}`);
}

/** The child being waited for, so an interrupt can end it. */
let current: ChildProcess | undefined;

/** Runs a command to its end; rejects with its output when it fails. */
function run(cmd: string, args: readonly string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: o.cwd ?? ROOT,
      env: { ...process.env, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    current = child;
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      current = undefined;
      if (code === 0) resolve(out.trim());
      else
        reject(
          new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out.trim()}`),
        );
    });
  });
}

function synthops(args: readonly string[], cwd?: string): Promise<string> {
  return run(process.execPath, [BIN, ...args], { cwd });
}

function git(cwd: string, ...args: string[]): Promise<string> {
  return run('git', [...GIT_ID, ...args], { cwd, env: { GIT_TERMINAL_PROMPT: '0' } });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

/** Builds lib/ when it is missing or older than src/ (the demo runs the CLI as users do). */
function ensureBuilt(): void {
  const main = path.join(ROOT, 'lib', 'cli', 'main.js');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }, 0);
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
  say('building the CLI (npm run build) ...');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** A fresh config repo holding the example apps, as `synthops init` plus the apps would make it. */
async function configRepo(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  for (const sub of ['apps', 'imports']) fs.cpSync(path.join(ROOT, sub), path.join(dir, sub), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'demo-config', private: true, dependencies: { synthops: 'file:..' } }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\ndist/\n');
  linkNodeModules(dir); // synthops is this checkout, as after `npm install`
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', 'the example apps');
}

/** Waits until every AppSync of `apps` is Ready at `revision`, printing what is still pending every few seconds. */
async function converged(
  store: StatusStore,
  apps: readonly string[],
  revision: string,
  timeoutMs: number,
  label: string,
): Promise<Map<string, AppSync>> {
  const deadline = Date.now() + timeoutMs;
  let said = 0;
  for (;;) {
    const syncs = new Map(
      (await store.list().catch(() => [])).filter((s) => s.spec.env === ENV).map((s) => [s.spec.app, s]),
    );
    const pending = apps.filter((a) => {
      const s = syncs.get(a);
      return (
        s?.status?.lastAppliedRevision !== revision ||
        s.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True'
      );
    });
    if (pending.length === 0) return syncs;
    const why = pending
      .map(
        (a) =>
          `${a}: ${syncs.get(a)?.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'not reconciled yet'}`,
      )
      .join(', ');
    if (Date.now() > deadline) throw new Error(`${label}: not converged after ${timeoutMs / 1000}s (${why})`);
    if (Date.now() - said > 3000) {
      say(`      waiting for ${why}`);
      said = Date.now();
    }
    await sleep(250);
  }
}

async function demo(detach: boolean): Promise<void> {
  const previous = load();
  if (previous?.processes.some(isOurs)) {
    throw new Error(
      `a demo is already running (${previous.processes
        .filter(isOurs)
        .map((p) => `${p.name} pid ${p.pid}`)
        .join(', ')}); stop it first: npm run demo -- --down`,
    );
  }
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const state: DemoState = { dir: DIR, processes: [] };
  save(state);
  say(`synthops demo: the whole loop on this machine (its files: ${DIR})`);

  // Ctrl-C at any point stops what was started so far.
  let stopping = false;
  const interrupt = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping what the demo started`);
    current?.kill('SIGTERM');
    void down(load()).finally(() => process.exit(130));
  };
  process.on('SIGINT', () => interrupt('interrupted'));
  process.on('SIGTERM', () => interrupt('terminated'));

  ensureBuilt();
  step(1, 'the local control plane (built from the Go module proxy on first use: about 8 minutes, with progress)');
  const wasRunning = await isHealthy(readState());
  // Recorded before it starts, so an interrupt during start-up stops it too.
  state.planeStarting = !wasRunning;
  save(state);
  const plane: PlaneState = await up();
  state.planeStarting = false;
  if (!wasRunning) state.plane = plane.components.map((c) => ({ name: c.name, pid: c.pid }));
  state.kubeconfig = plane.kubeconfig;
  save(state);
  say(`      ${wasRunning ? 'reused the running plane' : 'started'}: ${plane.server}, kubeconfig ${plane.kubeconfig}`);

  step(2, 'a config repo with the example apps (apps/ of this checkout)');
  const config = path.join(DIR, 'config');
  await configRepo(config);
  const bare = path.join(DIR, 'deploy.git');
  await run('git', ['init', '-q', '--bare', bare]);
  const deployUrl = `file://${bare}`;
  say(`      ${config} (git, branch main); deploy repo ${deployUrl}`);

  step(3, `publish: synthops publish --repo ${deployUrl} --branch deploy`);
  say(indent(await synthops(['publish', '--repo', deployUrl, '--branch', 'deploy', '-C', config])));
  const tip = async () => run('git', ['--git-dir', bare, 'rev-parse', 'refs/heads/deploy']);
  const first = await tip();
  const apps = (
    JSON.parse(fs.readFileSync(path.join(config, 'dist', 'index.json'), 'utf8')) as {
      apps: Array<{ env: string; app: string }>;
    }
  ).apps
    .filter((a) => a.env === ENV)
    .map((a) => a.app);

  const port = await freePort();
  const secretFile = path.join(DIR, 'webhook-secret');
  const secret = randomBytes(24).toString('hex');
  fs.writeFileSync(secretFile, secret, { mode: 0o600 });
  const agentArgs = [
    BIN,
    'agent',
    '--repo',
    deployUrl,
    '--branch',
    'deploy',
    '--env',
    ENV,
    '--kubeconfig',
    plane.kubeconfig,
    '--agent-namespace',
    AGENT_NS,
    '--interval',
    QUICK ? '2s' : '10s',
    '--listen',
    `127.0.0.1:${port}`,
    '--webhook-secret-file',
    secretFile,
    '--workdir',
    path.join(DIR, 'agent-checkout'),
    '--timeout',
    QUICK ? '60s' : '2m',
  ];
  const log = path.join(DIR, 'agent.log');
  const fd = fs.openSync(log, 'a');
  // Detached: with --detach it outlives this process; Ctrl-C here stops it through down().
  const agent = spawn(process.execPath, agentArgs, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  agent.unref();
  state.processes.push({ name: 'synthops agent', pid: agent.pid!, argv: [process.execPath, ...agentArgs], log });
  save(state);
  step(
    4,
    `the agent: synthops agent --repo ${deployUrl} --branch deploy --env ${ENV} --interval ${QUICK ? '2s' : '10s'} --listen 127.0.0.1:${port} (pid ${agent.pid}, log ${log})`,
  );
  const client = new KubeClient(loadKubeconfig(plane.kubeconfig));
  try {
    const store = new StatusStore(client, AGENT_NS);
    const t0 = Date.now();
    await converged(store, apps, first, QUICK ? 120_000 : 300_000, 'first sync');
    say(
      `      ${apps.length} apps converged at ${first.slice(0, 12)} in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${apps.join(', ')}`,
    );

    step(
      5,
      `an image bump: synthops set-image --env ${ENV} --app ${BUMP_APP} --image ${BUMP_IMAGE}, commit, synthops publish, webhook`,
    );
    say(indent(await synthops(['set-image', '--env', ENV, '--app', BUMP_APP, '--image', BUMP_IMAGE, '-C', config])));
    await git(config, 'commit', '-q', '-am', `bump ${BUMP_APP} to ${BUMP_IMAGE.split(':').pop()}`);
    say(indent(await synthops(['publish', '--repo', deployUrl, '--branch', 'deploy', '-C', config])));
    const bumped = await tip();
    const published = Date.now();
    const body = JSON.stringify({ ref: 'refs/heads/deploy', after: bumped });
    const hook = await fetch(`http://127.0.0.1:${port}/webhook`, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
    });
    say(`      webhook: HTTP ${hook.status}`);
    const after = await converged(store, [BUMP_APP], bumped, QUICK ? 60_000 : 120_000, 'image bump');
    const c2c = after.get(BUMP_APP)?.status?.commitToConvergedSeconds;
    say(
      `      ${BUMP_APP} converged at ${bumped.slice(0, 12)}: commit to converged ${c2c?.toFixed(1) ?? '?'}s (the agent's measure, from the commit's time), publish to converged ${((Date.now() - published) / 1000).toFixed(1)}s`,
    );

    step(6, `status: synthops status --kubeconfig ${plane.kubeconfig} -n ${AGENT_NS}`);
    say(
      indent(
        await synthops(['status', '--kubeconfig', plane.kubeconfig, '-n', AGENT_NS]).catch((e: Error) => e.message),
      ),
    );
  } finally {
    client.close();
  }

  const cli = `node ${path.relative(process.cwd(), BIN) || BIN}`;
  const k = `--kubeconfig ${plane.kubeconfig} -n ${AGENT_NS}`;
  say('');
  say('Open the UI (it prints its URL; Ctrl-C stops it):');
  say(`  ${cli} ui ${k} --repo ${deployUrl} --branch deploy`);
  say('More to try:');
  for (const c of [
    `tree ${BUMP_APP}`,
    `history --repo ${deployUrl} --branch deploy`,
    'events --watch',
    `reconcile ${BUMP_APP} --wait`,
    'status -o json',
  ])
    say(`  ${cli} ${c} ${k}`);
  say('Stop everything the demo started (the agent, and the control plane if the demo started it):');
  say(`  ${detach ? '' : 'Ctrl-C here, or '}npm run demo -- --down`);
  if (detach) {
    say(`the agent keeps running (pid ${agent.pid}); the demo exits`);
    process.exit(0);
  }
  // In the foreground until interrupted; say so if the agent stops by itself.
  for (;;) {
    await sleep(1000);
    if (stopping) continue;
    if (!fs.existsSync(STATE)) {
      say('stopped by npm run demo -- --down');
      process.exit(0);
    }
    if (!state.processes.every(isOurs)) {
      say(`the agent stopped by itself; the end of its log (${log}):`);
      say(indent(fs.readFileSync(log, 'utf8').trim().split('\n').slice(-10).join('\n')));
      await down(load());
      process.exit(1);
    }
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const unknown = argv.filter((a) => a !== '--down' && a !== '--detach');
  if (unknown.length > 0) {
    process.stderr.write(`usage: npm run demo [-- --detach | --down]; unknown: ${unknown.join(' ')}\n`);
    process.exit(2);
  }
  if (argv.includes('--down')) {
    await down();
    return;
  }
  await demo(argv.includes('--detach'));
}

main(process.argv.slice(2)).catch(async (e: Error) => {
  process.stderr.write(`synthops demo: ${e.message}\n`);
  const log = path.join(DIR, 'agent.log');
  if (fs.existsSync(log))
    process.stderr.write(
      `the end of the agent's log:\n${indent(fs.readFileSync(log, 'utf8').trim().split('\n').slice(-20).join('\n'))}\n`,
    );
  // A failed demo leaves nothing running.
  await down(load()).catch(() => undefined);
  process.exit(1);
});
