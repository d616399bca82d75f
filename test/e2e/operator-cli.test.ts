/**
 * The operator commands as a user runs them, against the real control plane and a
 * running agent process: status, version, reconcile --wait (no webhook, no poll),
 * suspend and resume, events (and --watch), tree, history with live and rollback
 * marks; -o json|yaml parsed back; kubectl's --context, KUBECONFIG, -n and --as; the
 * agent's stdout is JSON lines only.
 */
import * as k8s from '@kubernetes/client-node';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { Manifest } from '../../src/model/manifest';
import { configMap, deployment, synthopsTree } from '../harness/agent';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT, RESOURCES } from '../harness/config-repo';
import { SourceRepo } from '../harness/source-repo';
import { TestRemote } from '../harness/git';
import { agentOnceArgs } from '../harness/once-args';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(env: NodeJS.ProcessEnv, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI without blocking the event loop (the agent's output keeps flowing meanwhile). */
function cliAsync(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function noStack(r: Run): void {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `no stack trace: ${r.stderr}`);
}

interface Agent {
  child: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
}

async function startAgent(t: TestContext, args: string[]): Promise<Agent> {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exit, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
  return { child, lines, exit };
}

/** A kubeconfig with two contexts: `broken` (current; nothing listens there) and `good` (the test cluster, namespace `ns`). */
function twoContexts(t: TestContext, admin: string, ns: string): string {
  const doc = YAML.parse(fs.readFileSync(admin, 'utf8'));
  const cluster = doc.clusters[0];
  const user = doc.users[0];
  const out = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'broken',
    clusters: [
      {
        name: 'good',
        cluster: {
          ...cluster.cluster,
          'certificate-authority': path.resolve(path.dirname(admin), cluster.cluster['certificate-authority']),
        },
      },
      { name: 'nowhere', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
    ],
    users: [user],
    contexts: [
      { name: 'good', context: { cluster: 'good', user: user.name, namespace: ns } },
      { name: 'broken', context: { cluster: 'nowhere', user: user.name } },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-kc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, YAML.stringify(out), { mode: 0o600 });
  return file;
}

describe('operator commands against a running agent', () => {
  test('status, version, reconcile, suspend/resume, events, tree, history; formats; kubectl flags', async (t) => {
    const ns = await testNamespace(t, 'ops');
    const kubeconfig = await testKubeconfig();
    const kc = { KUBECONFIG: kubeconfig };
    const remote = TestRemote.create(t);
    const tree = (webData: Record<string, string>) =>
      synthopsTree('dev', { web: [configMap('web-config', ns, webData)], api: [deployment('api', ns)] });
    const trailers = (sha: string) =>
      `publish ${sha.slice(0, 12)}\n\nSource-Commit: ${sha}\nSource-Repo: https://git.example.com/org/config.git\n`;
    const first = remote.publish('deploy', tree({ v: '1' }), trailers('a'.repeat(40)));
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ops-'));
    t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
    // A poll interval of an hour and no webhook: anything after startup comes from `reconcile`.
    const agent = await startAgent(t, [
      '--repo',
      remote.fileUrl,
      '--branch',
      'deploy',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      ns,
      '--agent-namespace',
      ns,
      '--interval',
      '1h',
      '--listen',
      '127.0.0.1:0',
      '--workdir',
      workdir,
      '--timeout',
      '60s',
    ]);
    const status = () => {
      const r = cli(kc, 'status', '-n', ns, '-o', 'json');
      return JSON.parse(r.stdout) as { apiVersion: string; kind: string; items: Array<Record<string, any>> };
    };
    await eventually(
      'both apps ready and stamped',
      async () => {
        const items = status().items;
        return items.length === 2 && items.every((i) => i.ready === 'True' && i.agentVersion === version)
          ? true
          : undefined;
      },
      90_000,
    );

    await t.test('status -o json|yaml|wide', () => {
      const doc = status();
      assert.equal(doc.apiVersion, 'synthops.dev/cli/v1');
      assert.equal(doc.kind, 'AppStatusList');
      assert.deepEqual(
        doc.items.map((i) => [i.name, i.app, i.env, i.ready, i.reason, i.lastAppliedRevision, i.suspended]),
        [
          ['dev.api', 'api', 'dev', 'True', 'ReconciliationSucceeded', first, false],
          ['dev.web', 'web', 'dev', 'True', 'ReconciliationSucceeded', first, false],
        ],
      );
      const yaml = cli(kc, 'status', '--agent-namespace', ns, '-o', 'yaml');
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.deepEqual(
        YAML.parse(yaml.stdout).items.map((i: { name: string }) => i.name),
        ['dev.api', 'dev.web'],
      );
      const wide = cli(kc, 'status', '-n', ns, '-o', 'wide');
      assert.match(
        wide.stdout,
        /^APP\s+ENV\s+REVISION\s+READY\s+REASON\s+MESSAGE\s+LAST SYNC\s+COMMIT-TO-CONVERGED\s+SUSPENDED\s+SOURCE\s+LAST RECONCILE REQUEST$/m,
      );
      assert.match(wide.stdout, new RegExp(`^web\\s+dev\\s+${first}\\s+True\\s+ReconciliationSucceeded\\s`, 'm'));
      const one = JSON.parse(cli(kc, 'status', 'web', '-n', ns, '-o', 'json').stdout);
      assert.equal(one.items.length, 1);
      assert.ok(
        one.items[0].events.some((e: { reason: string }) => e.reason === 'Applied'),
        'one app: with its Events',
      );
    });

    await t.test('version: the CLI, and the agent from its AppSyncs', () => {
      const r = cli(kc, 'version', '-n', ns, '-o', 'json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc, {
        apiVersion: 'synthops.dev/cli/v1',
        kind: 'Version',
        cli: { version },
        agents: [{ version, namespace: ns, appSyncs: 2 }],
        agentError: null,
      });
      assert.match(
        cli(kc, 'version', '-n', ns).stdout,
        new RegExp(`^synthops CLI ${version}\nagent ${version} \\(namespace ${ns}, on 2 AppSync\\(s\\)\\)$`, 'm'),
      );
      const offline = cli({ KUBECONFIG: '/nonexistent/kubeconfig' }, 'version');
      assert.equal(offline.code, 0);
      assert.match(offline.stdout, /^agent: unknown \(kubeconfig: none of the KUBECONFIG files exist/m);
    });

    await t.test(
      'reconcile --wait: the agent fetches and applies a new commit at once, then records the request',
      async () => {
        const second = remote.publish('deploy', tree({ v: '2' }), trailers('b'.repeat(40)));
        const r = await cliAsync(kc, 'reconcile', 'web', '-n', ns, '--wait', '--timeout', '60s');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(
          r.stdout,
          /^dev\/web: reconcile requested \(synthops\.dev\/reconcile-requested-at=\d{4}-\d\d-\d\dT[\d:.]+Z\)$/m,
        );
        assert.match(r.stdout, new RegExp(`^dev/web: converged at revision ${second.slice(0, 12)}$`, 'm'));
        const cm = await (await testKubeConfig())
          .makeApiClient(k8s.CoreV1Api)
          .readNamespacedConfigMap({ name: 'web-config', namespace: ns });
        assert.deepEqual(cm.data, { v: '2' });
        const web = status().items.find((i) => i.app === 'web')!;
        assert.equal(web.lastAppliedRevision, second);
        const sync = await (await testKubeConfig()).makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
          group: 'synthops.dev',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'appsyncs',
          name: 'dev.web',
        });
        assert.equal(
          sync.status.lastHandledReconcileAt,
          sync.metadata.annotations['synthops.dev/reconcile-requested-at'],
          'handled as Flux records it',
        );
        assert.equal(web.lastHandledReconcileAt, sync.status.lastHandledReconcileAt);
        // Every app, no wait.
        const all = cli(kc, 'reconcile', '-n', ns);
        assert.equal(all.code, 0, all.stderr);
        assert.deepEqual(
          all.stdout
            .trim()
            .split('\n')
            .map((l) => l.split(':')[0]),
          ['dev/api', 'dev/web'],
        );
        assert.equal(cli(kc, 'reconcile', 'nope', '-n', ns).code, 2);
        assert.equal(cli(kc, 'reconcile', '-n', ns, '--source', 'no-such-source').code, 2);
      },
    );

    await t.test('suspend stops writes (reconcile --wait says so, exit 1); resume --wait applies again', async () => {
      const s = cli(kc, 'suspend', 'web', '-n', ns);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, /^dev\/web: suspended;/m);
      await eventually(
        'the agent reports it suspended',
        async () => {
          const web = status().items.find((i) => i.app === 'web')!;
          return web.suspended && web.reason === 'Suspended' ? true : undefined;
        },
        30_000,
      );
      remote.publish('deploy', tree({ v: '3' }), trailers('c'.repeat(40)));
      const r = await cliAsync(kc, 'reconcile', 'web', '-n', ns, '--wait', '--timeout', '60s');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^dev\/web: reconciled, but suspended: Ready Unknown \(Suspended\): suspended; drift from Git: ConfigMap .*web-config/m,
      );
      const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
      assert.deepEqual(
        (await core.readNamespacedConfigMap({ name: 'web-config', namespace: ns })).data,
        { v: '2' },
        'not written while suspended',
      );
      const resumed = await cliAsync(kc, 'resume', 'web', '-n', ns, '--wait', '--timeout', '60s');
      assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
      assert.match(resumed.stdout, /^dev\/web: resumed;/m);
      assert.match(resumed.stdout, /^dev\/web: converged at revision/m);
      assert.deepEqual((await core.readNamespacedConfigMap({ name: 'web-config', namespace: ns })).data, { v: '3' });
      assert.equal(status().items.find((i) => i.app === 'web')!.suspended, false);
    });

    await t.test('events: the list as table and JSON; --watch prints new ones until interrupted', async () => {
      const doc = JSON.parse(cli(kc, 'events', 'web', '-n', ns, '-o', 'json').stdout);
      assert.equal(doc.kind, 'EventList');
      assert.ok(doc.items.length >= 2);
      assert.ok(
        doc.items.every(
          (e: { app: string; env: string; appSync: string }) =>
            e.app === 'web' && e.env === 'dev' && e.appSync === 'dev.web',
        ),
      );
      assert.ok(
        doc.items.some(
          (e: { reason: string; message: string }) =>
            e.reason === 'Applied' && /^revision [0-9a-f]{12}: created \d+, configured \d+$/.test(e.message),
        ),
      );
      const times = doc.items.map((e: { time: string }) => e.time);
      assert.deepEqual(times, [...times].sort(), 'oldest first');
      const table = cli(kc, 'events', '-n', ns);
      assert.match(table.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+APP\s+ENV\s+MESSAGE$/m);
      assert.match(table.stdout, /^\S+ ago\s+Normal\s+Applied\s+api\s+dev\s+revision /m);

      const watch = spawn(process.execPath, [BIN, 'events', 'web', '-n', ns, '--watch', '-o', 'json'], {
        env: { ...process.env, ...kc },
      });
      let out = '';
      watch.stdout.on('data', (c) => {
        out += c;
      });
      const exited = new Promise<number | null>((resolve) => watch.on('exit', (code) => resolve(code)));
      const before = doc.items.length;
      await eventually(
        'the listed events',
        async () => (out.trim().split('\n').filter(Boolean).length >= before ? true : undefined),
        20_000,
      );
      remote.publish('deploy', tree({ v: '4' }), trailers('d'.repeat(40)));
      assert.equal(cli(kc, 'reconcile', 'web', '-n', ns).code, 0);
      const applied = await eventually(
        'a new Applied event, watched',
        async () => {
          const lines = out
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { reason: string; message: string });
          return lines.slice(before).find((e) => e.reason === 'Applied');
        },
        30_000,
      );
      assert.match(applied.message, /configured 1/);
      watch.kill('SIGINT');
      assert.equal(await exited, 0);
    });

    await t.test('tree: inventory objects live with health, workloads with what they own', async () => {
      const r = await eventually(
        'the Pod of api shown',
        async () => {
          const x = cli(kc, 'tree', 'api', '-n', ns, '-o', 'json');
          const d = JSON.parse(x.stdout);
          return d.items[0]?.children?.[0]?.children?.length > 0 ? { x, d } : undefined;
        },
        30_000,
      );
      assert.equal(r.x.code, 0, r.x.stderr);
      assert.equal(r.d.kind, 'AppTree');
      assert.equal(r.d.health, 'Healthy');
      const dep = r.d.items[0];
      assert.deepEqual([dep.kind, dep.namespace, dep.name, dep.health], ['Deployment', ns, 'api', 'Healthy']);
      assert.equal(dep.children[0].kind, 'ReplicaSet');
      assert.equal(dep.children[0].children[0].kind, 'Pod');
      const table = cli(kc, 'tree', 'api', '-n', ns);
      assert.equal(table.code, 0);
      assert.match(
        table.stdout,
        /^app api \(env dev\): Healthy; revision [0-9a-f]{12}; 1 object\(s\) in its inventory$/m,
      );
      assert.match(table.stdout, new RegExp(`^Deployment ${ns}/api\\s+Healthy\\s`, 'm'));
      assert.match(table.stdout, new RegExp(`^└─ ReplicaSet ${ns}/api-\\S+\\s+Healthy`, 'm'));
      assert.match(table.stdout, new RegExp(`^   └─ Pod ${ns}/api-\\S+\\s+Healthy`, 'm'));
      assert.equal(cli(kc, 'tree', 'nope', '-n', ns).code, 2);
    });

    await t.test('history: trailers, live marks per app, rollbacks marked', async () => {
      const back = cli(kc, 'rollback', first, '--repo', remote.fileUrl, '--branch', 'deploy');
      assert.equal(back.code, 0, back.stderr);
      assert.equal(cli(kc, 'reconcile', '-n', ns, '--wait', '--timeout', '60s').code, 0);
      const r = cli(kc, 'history', '--repo', remote.fileUrl, '--branch', 'deploy', '-n', ns, '-o', 'json');
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.kind, 'DeployHistory');
      assert.equal(doc.liveKnown, true);
      const [tip, ...rest] = doc.items;
      assert.equal(tip.rollback, true);
      assert.match(back.stdout, new RegExp(`with commit ${tip.sha.slice(0, 12)}$`, 'm'));
      assert.equal(tip.rollbackTo, first);
      assert.equal(tip.sourceCommit, 'a'.repeat(40), "a rollback carries the restored commit's Source-Commit");
      assert.deepEqual(tip.live, ['dev/api', 'dev/web']);
      assert.equal(rest[0].rolledBackBy, tip.sha, 'the replaced tip is marked');
      const oldest = doc.items[doc.items.length - 1];
      assert.equal(oldest.sha, first);
      assert.equal(oldest.sourceRepo, 'https://git.example.com/org/config.git');
      assert.deepEqual(oldest.live, []);
      const table = cli(kc, 'history', '--repo', remote.fileUrl, '--branch', 'deploy', '-n', ns);
      assert.match(table.stdout, /^COMMIT\s+DATE\s+SUBJECT\s+SOURCE-COMMIT\s+LIVE\s+NOTES$/m);
      assert.match(
        table.stdout,
        new RegExp(`^${tip.sha.slice(0, 12)}\\s.*\\sdev/api,dev/web\\s+rollback to ${first.slice(0, 12)}$`, 'm'),
      );
      assert.match(table.stdout, /rolled back by /);
      // No cluster: the history still prints, live unknown, said once on stderr.
      const offline = cli(
        { KUBECONFIG: '/nonexistent/kubeconfig' },
        'history',
        '--repo',
        remote.fileUrl,
        '--branch',
        'deploy',
        '-o',
        'json',
      );
      assert.equal(offline.code, 0, offline.stderr);
      assert.equal(JSON.parse(offline.stdout).liveKnown, false);
      assert.match(offline.stderr, /^warning: which revision is live is not shown: /m);
      const missing = cli(kc, 'history', '-n', ns);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /history needs --repo and --branch/);
    });

    await t.test('kubectl habits: --context, KUBECONFIG, --as; one line, no stack, on failure', async () => {
      const file = twoContexts(t, kubeconfig, ns);
      const broken = cli({ KUBECONFIG: file }, 'status', '-n', ns);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1/m);
      noStack(broken);
      const good = cli({ KUBECONFIG: file }, 'status', '--context', 'good', '-n', ns, '-o', 'json');
      assert.equal(good.code, 0, good.stderr);
      assert.equal(JSON.parse(good.stdout).items.length, 2);
      assert.equal(cli({}, 'tree', 'api', '--kubeconfig', file, '--context', 'good', '-n', ns).code, 0);
      const unknown = cli({ KUBECONFIG: file }, 'status', '--context', 'nope');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /context "nope" is not defined/);
      noStack(unknown);
      // Impersonation: a ServiceAccount with no rights may not read AppSyncs.
      for (const cmd of [['status'], ['events'], ['tree', 'api']]) {
        const r = cli(kc, ...cmd, '-n', ns, '--as', `system:serviceaccount:${ns}:nobody`);
        assert.equal(r.code, 1, `${cmd[0]}: ${r.stdout}${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(
            `^error: .*forbidden: User "system:serviceaccount:${ns}:nobody" cannot list resource "appsyncs"`,
            'm',
          ),
        );
        noStack(r);
      }
      const asAdmin = cli(
        kc,
        'status',
        '-n',
        ns,
        '--as',
        'synthops-admin',
        '--as-group',
        'system:masters',
        '-o',
        'json',
      );
      assert.equal(asAdmin.code, 0, asAdmin.stderr);
      assert.equal(cli(kc, 'status', '-n', ns, '--as-group', 'system:masters').code, 2, '--as-group needs --as');
    });

    await t.test('diff --cluster takes --context and -n too', async () => {
      const file = twoContexts(t, kubeconfig, ns);
      const src = SourceRepo.create(t, {
        'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`,
        'apps/images.yaml': 'dev:\n  site: docker.io/kostiscodefresh/simple-web-app:3d9b390\n',
        'apps/site.ts': `import { WebService, defineApp } from 'synthops';\nexport default defineApp({ name: 'site', namespace: '${ns}', createNamespace: false, build: (app) => { new WebService(app, 'site', { port: 8080, resources: ${RESOURCES} }); } });\n`,
      });
      const diff = (...args: string[]) =>
        cliAsync({ KUBECONFIG: file }, 'diff', '--cluster', '--env', 'dev', '--root', src.root, ...args);
      const good = await diff('--context', 'good', '-n', ns);
      assert.equal(good.code, 1, good.stdout + good.stderr);
      assert.match(good.stdout, new RegExp(`^  \\+ Deployment ${ns}/site \\(added\\)`, 'm'));
      const broken = await diff('--skip-synth', '-n', ns);
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /^error: cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:1/m);
      noStack(broken);
    });

    await t.test("agent: objects that name no namespace go to the context's namespace, as with kubectl", async () => {
      const file = twoContexts(t, kubeconfig, ns);
      const plain = TestRemote.create(t);
      const bare: Manifest = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'no-namespace' },
        data: { k: 'v' },
      };
      plain.publish('main', { 'cm.yaml': YAML.stringify(bare) });
      const r = await cliAsync(
        { KUBECONFIG: file },
        ...agentOnceArgs({
          repo: plain.fileUrl,
          branch: 'main',
          app: 'plain',
          agentNamespace: ns,
          workdir: path.join(workdir, 'plain'),
          extra: ['--context', 'good'],
        }),
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const cm = await (await testKubeConfig())
        .makeApiClient(k8s.CoreV1Api)
        .readNamespacedConfigMap({ name: 'no-namespace', namespace: ns });
      assert.deepEqual(cm.data, { k: 'v' });
    });

    await t.test("the long-running agent's stdout is JSON lines only", () => {
      assert.ok(agent.lines.length > 5);
      for (const l of agent.lines) assert.doesNotThrow(() => JSON.parse(l), `not JSON: ${l}`);
      assert.ok(agent.lines.some((l) => JSON.parse(l).msg === 'agent started'));
      assert.ok(agent.lines.some((l) => JSON.parse(l).msg === 'reconcile requested'));
    });
  });
});
