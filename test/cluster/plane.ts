/**
 * The local control plane: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok (simulated Nodes and kubelets), built from the Go module
 * proxy by build.sh and started here on 127.0.0.1 with free ports.
 *
 * State lives outside the repo (`SYNTHOPS_CLUSTER_STATE`, default
 * `<cache>/synthops/cluster/run`): state.json (PIDs, ports), the admin kubeconfig,
 * certificates, etcd data and one log file per component.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { generateKeyPairSync, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../harness/net';

/** A component process the plane started. */
export interface ComponentState {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
  readonly log: string;
  /** Its command-line arguments, so it can be restarted the same way. */
  readonly args: readonly string[];
}

/** What `up` recorded, read back by `down` and by the test harness. */
export interface PlaneState {
  readonly stateDir: string;
  readonly binDir: string;
  readonly kubeconfig: string;
  readonly server: string;
  readonly caFile: string;
  readonly token: string;
  readonly serviceAccountKey: string;
  readonly components: ComponentState[];
}

/** A component failed to start or to become ready; carries its own log output. */
export class PlaneError extends Error {}

const HERE = __dirname;
const NODE_NAMES = ['kwok-node-0', 'kwok-node-1'];

/** Root of the binary cache and state (outside the repo). */
export function cacheRoot(): string {
  return (
    process.env.SYNTHOPS_CLUSTER_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'synthops', 'cluster')
  );
}

/** Folder with state.json, kubeconfig, certs, data and logs. */
export function stateDir(): string {
  return process.env.SYNTHOPS_CLUSTER_STATE ?? path.join(cacheRoot(), 'run');
}

function statePath(dir = stateDir()): string {
  return path.join(dir, 'state.json');
}

/** Reads the recorded state, if any. */
export function readState(dir = stateDir()): PlaneState | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath(dir), 'utf8')) as PlaneState;
  } catch {
    return undefined;
  }
}

function log(msg: string): void {
  process.stderr.write(`control plane: ${msg}\n`);
}

/** Builds (or reuses) the binaries; returns their folder. */
export function ensureBinaries(): string {
  const out = execFileSync('bash', [path.join(HERE, 'build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SYNTHOPS_CLUSTER_CACHE: cacheRoot() },
  });
  const lines = out.toString().trim().split('\n');
  return lines[lines.length - 1];
}

/** True if `pid` is alive and is still the binary we started (not a reused PID). */
export function isOurProcess(c: ComponentState): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${c.pid}/cmdline`, 'utf8');
    const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return false;
    return cmdline.split('\0')[0] === c.binary;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function start(
  name: string,
  binDir: string,
  args: string[],
  dir: string,
): { state: ComponentState; child: ChildProcess } {
  const binary = path.join(binDir, name);
  const logFile = path.join(dir, 'logs', `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  // Detached: the plane outlives `npm run cluster:up`; `down` stops it by PID.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new PlaneError(`${name}: failed to start ${binary}`);
  return { state: { name, pid: child.pid, binary, log: logFile, args }, child };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true; fails with the component's log when it died or timed out. */
async function waitFor(
  what: string,
  component: ComponentState,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isOurProcess(component)) {
      throw new PlaneError(
        `${component.name} exited while waiting for ${what}; its log (${component.log}) ends with:\n${tail(component.log)}`,
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new PlaneError(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}; ${component.name} log (${component.log}) ends with:\n${tail(component.log)}`,
      );
    }
    await sleep(250);
  }
}

/** A GET against the apiserver with the admin token; resolves to status code and body. */
export function apiGet(
  state: Pick<PlaneState, 'server' | 'caFile' | 'token'>,
  urlPath: string,
): Promise<{ status: number; body: string }> {
  return apiRequest(state, 'GET', urlPath);
}

function apiRequest(
  state: Pick<PlaneState, 'server' | 'caFile' | 'token'>,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      new URL(urlPath, state.server),
      {
        method,
        ca: fs.readFileSync(state.caFile),
        headers: { Authorization: `Bearer ${state.token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
        timeout: 5000,
      },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (payload) req.write(payload);
    req.end();
  });
}

function kubeconfigYaml(server: string, caFile: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: synthops-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${caFile}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: synthops-local',
    '  context:',
    '    cluster: synthops-local',
    '    user: admin',
    'current-context: synthops-local',
    '',
  ].join('\n');
}

/** True if the recorded plane is complete, alive and its apiserver answers /readyz. */
export async function isHealthy(state: PlaneState | undefined): Promise<boolean> {
  if (!state || !state.components.every(isOurProcess)) return false;
  const r = await apiGet(state, '/readyz').catch(() => undefined);
  return r?.status === 200;
}

/**
 * Starts the plane, or reuses the running one. Resolves to its state once the
 * apiserver is ready, both Nodes are Ready and the default ServiceAccount exists.
 */
export async function up(): Promise<PlaneState> {
  const existing = readState();
  if (await isHealthy(existing)) {
    log(`reusing the running plane (${existing!.server})`);
    return existing!;
  }
  if (existing) {
    log('the recorded plane is not healthy; stopping what is left of it');
    await down();
  }
  const binDir = ensureBinaries();
  const dir = stateDir();
  fs.rmSync(dir, { recursive: true, force: true });
  for (const sub of ['logs', 'certs', 'etcd', 'kwok']) fs.mkdirSync(path.join(dir, sub), { recursive: true });

  const token = randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${token},synthops-admin,synthops-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKey = path.join(dir, 'sa.key');
  const saPub = path.join(dir, 'sa.pub');
  fs.writeFileSync(saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(saPub, publicKey.export({ type: 'spki', format: 'pem' }));

  // kwok needs a config file; with no Stage documents in it, it runs its built-in
  // node and pod lifecycle stages (Nodes Ready, Pods Running).
  fs.writeFileSync(
    path.join(dir, 'kwok', 'kwok.yaml'),
    'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n',
  );

  const [etcdClient, etcdPeer, apiPort, kwokPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const components: ComponentState[] = [];
  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = path.join(dir, 'certs', 'apiserver.crt');
  const kubeconfig = path.join(dir, 'kubeconfig');
  const state: PlaneState = {
    stateDir: dir,
    binDir,
    kubeconfig,
    server,
    caFile,
    token,
    serviceAccountKey: saKey,
    components,
  };
  const record = () => fs.writeFileSync(statePath(dir), JSON.stringify(state, null, 2));

  try {
    const etcd = start(
      'etcd',
      binDir,
      [
        '--name=synthops',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=synthops=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      dir,
    ).state;
    components.push(etcd);
    record();
    await waitFor('etcd /health', etcd, async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok);

    const apiserver = start(
      'kube-apiserver',
      binDir,
      [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${path.join(dir, 'certs')}`,
        '--service-cluster-ip-range=10.96.0.0/16', // room for the benchmarks' thousands of Services
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--authorization-mode=Node,RBAC',
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        '--endpoint-reconciler-type=none',
        '--allow-privileged=true',
        // SYNTHOPS_PLANE_PROFILING=1: /debug/pprof for profiling the apiserver under a benchmark.
        `--profiling=${process.env.SYNTHOPS_PLANE_PROFILING === '1'}`,
      ],
      dir,
    ).state;
    components.push(apiserver);
    record();
    await waitFor(
      'kube-apiserver /readyz',
      apiserver,
      async () => fs.existsSync(caFile) && (await apiGet(state, '/readyz')).status === 200,
    );
    fs.writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, token), { mode: 0o600 });

    components.push(
      start(
        'kube-controller-manager',
        binDir,
        [
          `--kubeconfig=${kubeconfig}`,
          '--leader-elect=false',
          `--service-account-private-key-file=${saKey}`,
          `--root-ca-file=${caFile}`,
          '--use-service-account-credentials=true',
          '--controllers=*',
          // The default 20 requests/s would make the controllers, not the agent, the bottleneck of benchmarks.
          '--kube-api-qps=200',
          '--kube-api-burst=400',
          '--bind-address=127.0.0.1',
          '--secure-port=0',
        ],
        dir,
      ).state,
    );
    components.push(
      start(
        'kube-scheduler',
        binDir,
        [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0'],
        dir,
      ).state,
    );
    components.push(
      start(
        'kwok',
        binDir,
        [
          `--kubeconfig=${kubeconfig}`,
          '--manage-all-nodes=true',
          `--config=${path.join(dir, 'kwok', 'kwok.yaml')}`,
          '--cidr=10.244.0.0/16',
          '--node-ip=127.0.0.1',
          `--server-address=127.0.0.1:${kwokPort}`,
          '--node-lease-duration-seconds=40',
        ],
        dir,
      ).state,
    );
    record();

    for (const name of NODE_NAMES) {
      const r = await apiRequest(state, 'POST', '/api/v1/nodes', nodeManifest(name));
      if (r.status !== 201 && r.status !== 409)
        throw new PlaneError(`creating Node ${name}: HTTP ${r.status} ${r.body}`);
    }
    const kwok = components.find((c) => c.name === 'kwok')!;
    await waitFor('both kwok Nodes Ready', kwok, async () => {
      const r = await apiGet(state, '/api/v1/nodes');
      const nodes = (JSON.parse(r.body).items ?? []) as Array<{
        status?: { conditions?: Array<{ type: string; status: string }> };
      }>;
      return (
        nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >=
        NODE_NAMES.length
      );
    });
    const kcm = components.find((c) => c.name === 'kube-controller-manager')!;
    await waitFor(
      'the default ServiceAccount',
      kcm,
      async () => (await apiGet(state, '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
    );
    for (const c of components) {
      if (!isOurProcess(c))
        throw new PlaneError(`${c.name} exited during start-up; its log (${c.log}) ends with:\n${tail(c.log)}`);
    }
    log(`ready: ${server} (logs in ${path.join(dir, 'logs')})`);
    return state;
  } catch (e) {
    log(`start-up failed; component logs are in ${path.join(dir, 'logs')}: ${components.map((c) => c.log).join(', ')}`);
    await down();
    throw e;
  }
}

function nodeManifest(name: string): unknown {
  const capacity = { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
      },
    },
    spec: {},
    status: {
      capacity,
      allocatable: capacity,
      nodeInfo: { kubeletVersion: 'fake', architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

/** Stops exactly the processes `up` recorded (never by name) and removes the state folder. */
export async function down(): Promise<void> {
  const state = readState();
  if (!state) {
    fs.rmSync(stateDir(), { recursive: true, force: true });
    return;
  }
  // Reverse start order: clients first, etcd last.
  for (const c of [...state.components].reverse()) {
    if (!isOurProcess(c)) continue;
    try {
      process.kill(c.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + 10_000;
    while (isOurProcess(c) && Date.now() < deadline) await sleep(100);
    if (isOurProcess(c)) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  fs.rmSync(state.stateDir, { recursive: true, force: true });
}

/** Resident memory of the plane's processes, in MiB, by component. */
export function memoryMiB(state: PlaneState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of state.components) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${c.pid}/status`, 'utf8'));
      if (m) out[c.name] = Math.round(Number(m[1]) / 1024);
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Stops one component of the running plane (by its recorded PID) and returns a
 * function that starts it again with the same arguments and waits until it is back.
 * For fault tests: "the apiserver goes away".
 */
export async function stopComponent(name: string): Promise<() => Promise<void>> {
  const state = readState();
  const c = state?.components.find((x) => x.name === name);
  if (!state || !c) throw new PlaneError(`no running ${name} recorded`);
  if (isOurProcess(c)) process.kill(c.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isOurProcess(c) && Date.now() < deadline) await sleep(100);
  if (isOurProcess(c)) process.kill(c.pid, 'SIGKILL');
  return async () => {
    const next = start(name, state.binDir, [...c.args], state.stateDir).state;
    const fresh: PlaneState = { ...state, components: state.components.map((x) => (x.name === name ? next : x)) };
    fs.writeFileSync(statePath(state.stateDir), JSON.stringify(fresh, null, 2));
    if (name === 'kube-apiserver')
      await waitFor('kube-apiserver /readyz', next, async () => (await apiGet(fresh, '/readyz')).status === 200);
  };
}
