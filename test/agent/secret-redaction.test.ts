/**
 * No Secret value reaches any output: for every error shape the apiserver (or an
 * admission policy) gives about a Secret, the `--once` report, the CLI, the AppSync
 * status, the Events, the agent's log lines and its notifications are searched for
 * the values in plaintext and base64; and `diff --cluster` shows them masked.
 */
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { inspect } from 'util';
import { formatResult } from '../../src/agent/reconcile/report';
import { StatusStore } from '../../src/agent/state/status-store';
import { Manifest } from '../../src/model/manifest';
import { diffAgainstCluster, formatDiff } from '../../src/publish/diff';
import { runOnce, synthopsTree, testClient, testObjects } from '../harness/agent';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';
import { startReceiver } from '../harness/receiver';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A plain-YAML Secret document (YAML text, so unquoted numbers stay numbers). */
function secretYaml(ns: string, body: string, name = 'creds'): string {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${body}`;
}

/** Fails naming the output and the form, never printing the value itself. */
function assertAbsent(outputs: Record<string, string>, values: readonly string[]): void {
  for (const [where, text] of Object.entries(outputs)) {
    values.forEach((v, i) => {
      assert.equal(text.includes(v), false, `secret value #${i} found in ${where}`);
    });
  }
}

/** Everything `agent --once` shows, and the whole result as a program would see it. */
function onceOutputs(r: Awaited<ReturnType<typeof runOnce>>): Record<string, string> {
  return {
    'the --once report': formatResult(r.result, false).join('\n'),
    'the reconcile result (problems and causes)': inspect(r.result, { depth: 10 }),
  };
}

/**
 * Runs the long-running agent on the branch until the app's failure is in its AppSync,
 * Events and notifications; returns all of them and its log lines as text.
 */
async function controllerOutputs(
  t: TestContext,
  remote: TestRemote,
  ns: string,
  app = 'default',
): Promise<Record<string, string>> {
  const receiver = await startReceiver(t);
  const agent = await startController(t, {
    repo: remote.fileUrl,
    branch: 'deploy',
    ns,
    notifyUrl: receiver.url,
    retryBaseMs: 60_000,
  });
  const store = new StatusStore(await testClient(t), ns);
  const sync = await eventually('the failure in the AppSync', async () => {
    const s = await store.get('default', app);
    return s?.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'ReconcileFailed' ? s : undefined;
  });
  await eventually('the failure Event', async () =>
    (await store.events(sync)).some((e) => e.reason === 'ReconcileFailed') ? true : undefined,
  );
  await eventually('the failure notified', async () =>
    receiver.received.some((n) => n.kind === 'ReconcileFailed') ? true : undefined,
  );
  await agent.notifier.flush();
  const events = await (await testKubeConfig()).makeApiClient(k8s.CoreV1Api).listNamespacedEvent({ namespace: ns });
  assert.ok(
    agent.logs.some((l) => l.msg === 'app reconciled' && typeof l.why === 'string'),
    'the failure reached the logger',
  );
  return {
    'the AppSync status': JSON.stringify(await store.get('default', app)),
    'the Events of the namespace': JSON.stringify(events.items.map((e) => [e.reason, e.message])),
    'the log lines': JSON.stringify(agent.logs),
    'the notifications': JSON.stringify(receiver.received),
  };
}

/** The one failure of the app, for checking it still says what is wrong. */
function failure(r: Awaited<ReturnType<typeof runOnce>>): string {
  const app = r.result.apps.find((a) => a.app === 'default')!;
  assert.equal(app.status, 'Failed');
  return app.errors.join('\n');
}

describe('agent: Secret values never reach any output', () => {
  test('stringData with an unquoted number and a boolean (the apiserver prints the value it refuses)', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(ns, 'stringData:\n  pin: 84736251\n  flag: true\n  password: typed-along-9131\n'),
    });
    const values = ['84736251', b64('84736251'), 'Value:true', 'typed-along-9131', b64('typed-along-9131')];
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    assertAbsent(onceOutputs(once), values);
    const why = failure(once);
    assert.match(
      why,
      /\.stringData\.pin: expected string, got &value\.valueUnstructured\{Value:\[redacted\]\}/,
      'still says what is wrong',
    );
    assert.match(why, /\.stringData\.flag: expected string, got &value\.valueUnstructured\{Value:\[redacted\]\}/);
    const cli = spawnSync(
      process.execPath,
      [
        SYNTHOPS_BIN,
        ...agentOnceArgs({
          repo: remote.fileUrl,
          namespace: ns,
          workdir: path.join(remote.root, 'agent'),
          kubeconfig: await testKubeconfig(),
        }),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, /Value:\[redacted\]/);
    assertAbsent({ 'the CLI output': cli.stdout + cli.stderr }, values);
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('invalid base64 in data', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(
        ns,
        'data:\n  password: "not base64: plain-secret-4471"\n  token: dG9rZW4tdmFsdWUtNTUyOQ==\n',
      ),
    });
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    assert.match(failure(once), /illegal base64 data/);
    const values = [
      'plain-secret-4471',
      b64('not base64: plain-secret-4471'),
      'dG9rZW4tdmFsdWUtNTUyOQ==',
      'token-value-5529',
    ];
    assertAbsent(onceOutputs(once), values);
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('a nested invalid value in data (the apiserver prints the whole map, base64 inside)', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(
        ns,
        `data:\n  password:\n    nested: ${b64('nested-password-8812')}\n  list:\n    - ${b64('listed-value-2290')}\n`,
      ),
    });
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    assert.match(failure(once), /\.data\.password: expected string, got &value\.valueUnstructured\{Value:/);
    const values = [b64('nested-password-8812'), 'nested-password-8812', b64('listed-value-2290'), 'listed-value-2290'];
    assertAbsent(onceOutputs(once), values);
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('unknown fields on a Secret (strict field validation)', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(
        ns,
        `stringData:\n  password: strict-mode-value-3307\ndata:\n  key: ${b64('encoded-value-6618')}\nbogus:\n  copy: strict-mode-value-3307\n`,
      ),
    });
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    assert.match(failure(once), /\.bogus: field not declared in schema/);
    const values = [
      'strict-mode-value-3307',
      b64('strict-mode-value-3307'),
      b64('encoded-value-6618'),
      'encoded-value-6618',
    ];
    assertAbsent(onceOutputs(once), values);
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('an immutable Secret given a new value', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(ns, 'immutable: true\nstringData:\n  password: first-value-7741\n'),
    });
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);
    remote.publish('deploy', {
      'secret.yaml': secretYaml(ns, 'immutable: true\nstringData:\n  password: second-value-1187\n'),
    });
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    assert.match(failure(once), /immutable/);
    const values = ['first-value-7741', b64('first-value-7741'), 'second-value-1187', b64('second-value-1187')];
    assertAbsent(onceOutputs(once), values);
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('an admission policy denial that quotes the new and the old data (ValidatingAdmissionPolicy, CEL)', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', { 'secret.yaml': secretYaml(ns, 'stringData:\n  password: before-policy-5150\n') });
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns })).result.converged, true);

    // Cluster-wide objects, bound to this test's namespace only; removed when it ends.
    const kc = await testKubeConfig();
    const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const name = `deny-secrets-${ns}`;
    await admission.createValidatingAdmissionPolicy({
      body: {
        metadata: { name },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'] },
            ],
          },
          validations: [
            {
              expression: 'false',
              messageExpression:
                "'refused: ' + object.data.map(k, k + '=' + string(object.data[k])).join(',') + (oldObject == null ? '' : ' was ' + '%s'.format([oldObject.data]))",
            },
          ],
        },
      },
    });
    t.after(() =>
      admission.deleteValidatingAdmissionPolicy({ name }).then(
        () => undefined,
        () => undefined,
      ),
    );
    await admission.createValidatingAdmissionPolicyBinding({
      body: {
        metadata: { name },
        spec: {
          policyName: name,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
        },
      },
    });
    t.after(() =>
      admission.deleteValidatingAdmissionPolicyBinding({ name }).then(
        () => undefined,
        () => undefined,
      ),
    );
    const objects = await testObjects(t);
    const probe: Manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'probe', namespace: ns },
      stringData: { k: 'probe' },
    };
    await eventually(
      'the policy in force',
      () =>
        objects.apply(probe, true).then(
          () => undefined,
          () => true,
        ),
      30_000,
    );

    remote.publish('deploy', { 'secret.yaml': secretYaml(ns, 'stringData:\n  password: after-policy-6262\n') });
    const once = await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns });
    const values = ['before-policy-5150', b64('before-policy-5150'), 'after-policy-6262', b64('after-policy-6262')];
    assertAbsent(onceOutputs(once), values);
    assert.match(
      failure(once),
      /ValidatingAdmissionPolicy '.*' with binding '.*' denied request: refused: password=\[redacted\] was \{"password":"\[redacted\]"\}/,
    );
    assertAbsent(await controllerOutputs(t, remote, ns), values);
  });

  test('diff --cluster of a changed Secret: keys and which side changed, never the values', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const secret = (password: string): Manifest => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      data: { password: b64(password), user: b64('same-user-3141') },
      stringData: { token: `${password}-token` },
    });
    remote.publish('deploy', synthopsTree('dev', { shop: [secret('old-password-2718')] }));
    assert.equal((await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, env: 'dev' })).result.converged, true);

    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-dist-'));
    t.after(() => fs.rmSync(dist, { recursive: true, force: true }));
    for (const [file, text] of Object.entries(synthopsTree('dev', { shop: [secret('new-password-1618')] }))) {
      fs.mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
      fs.writeFileSync(path.join(dist, file), text);
    }
    const lines = formatDiff(await diffAgainstCluster(dist, 'dev', await testClient(t), ns), false);
    const text = lines.join('\n');
    assert.match(text, new RegExp(`~ Secret ${ns}/creds \\(changed\\)`));
    assert.match(text, /^\s+-\s+password: "?\[redacted: before\]"?$/m);
    assert.match(text, /^\s+\+\s+password: "?\[redacted: after\]"?$/m);
    const cli = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'bin', 'synthops'),
        'diff',
        '--cluster',
        '--skip-synth',
        '--out',
        dist,
        '--env',
        'dev',
        '--kubeconfig',
        await testKubeconfig(),
        '--agent-namespace',
        ns,
        '--root',
        dist,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, /\[redacted: after\]/);
    const values = [
      'old-password-2718',
      b64('old-password-2718'),
      'new-password-1618',
      b64('new-password-1618'),
      'same-user-3141',
      b64('same-user-3141'),
      b64('old-password-2718-token'),
      b64('new-password-1618-token'),
    ];
    assertAbsent({ 'the diff': text, 'the CLI output': cli.stdout + cli.stderr }, values);
  });
});
