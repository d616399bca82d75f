/**
 * Bootstrap and least privilege: the agent installs itself from Git, then runs with
 * its own ServiceAccount token, manages itself, and writes for tenants only through
 * their ServiceAccounts.
 */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { agentOnce } from '../../src/agent/reconcile/once';
import { bootstrap } from '../../src/bootstrap/bootstrap';
import { publish } from '../../src/publish/publish';
import { testClient } from '../harness/agent';
import { deleteNamespaces, eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';
import { SourceRepo } from '../harness/source-repo';
import { clientAs } from '../harness/service-account';

const ENVS = `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`;

/** The installed agent's source name; the in-process runs below stand in for it, so they run as it. */
const SOURCE = 'self';

function agentApp(ns: string, interval: string, extra = ''): string {
  return `import { AgentInstall, defineApp } from 'synthops';
export default defineApp({ name: 'synthops-agent', namespace: '${ns}', build: (app) => {
  new AgentInstall(app, 'agent', { repo: 'file:///deploy.git', branch: 'deploy', source: '${SOURCE}', image: 'ghcr.io/example/synthops:0.1.0', interval: '${interval}'${extra} });
} });
`;
}

function workdir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bs-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The read failed because the object does not exist (not for any other reason). */
const notFound = (e: unknown) => e instanceof k8s.ApiException && e.code === 404;

describe('bootstrap and least privilege', () => {
  test('bootstrap installs the agent from Git (dry-run first), is idempotent, and the agent then manages itself with its own token', async (t) => {
    const base = await testNamespace(t, 'bs');
    const agentNs = `${base}-agent`;
    t.after(() => deleteNamespaces([agentNs]));
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      'apps/synthops-agent.ts': agentApp(agentNs, '1m'),
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const admin = await testClient(t);
    const kc = await testKubeConfig();
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const dry = await bootstrap({
      client: admin,
      repo: remote.fileUrl,
      branch: 'deploy',
      workdir: workdir(t),
      auth: { token: 'git-token-1' },
      webhookSecret: 'hook-1',
      dryRun: true,
    });
    assert.equal(dry.result.apps[0].status, 'Planned');
    await assert.rejects(core.readNamespace({ name: agentNs }), notFound, 'dry-run created nothing');

    const r = await bootstrap({
      client: admin,
      repo: remote.fileUrl,
      branch: 'deploy',
      workdir: workdir(t),
      auth: { token: 'git-token-1' },
      webhookSecret: 'hook-1',
      timeoutMs: 60_000,
    });
    assert.equal(r.result.converged, true, JSON.stringify(r.result.apps));
    assert.equal(r.secret, 'created');
    const dep = await apps.readNamespacedDeployment({ name: 'synthops-agent', namespace: agentNs });
    assert.equal(dep.status?.availableReplicas, 1);
    const c = dep.spec!.template.spec!.containers[0];
    assert.equal(dep.spec!.template.spec!.serviceAccountName, 'synthops-agent');
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext?.runAsNonRoot, true);
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.ok(c.resources?.limits?.memory);
    const secret = await core.readNamespacedSecret({ name: 'synthops-git', namespace: agentNs });
    assert.equal(Buffer.from(secret.data!.token, 'base64').toString(), 'git-token-1');
    assert.equal(Buffer.from(secret.data!['webhook-secret'], 'base64').toString(), 'hook-1');

    const again = await bootstrap({
      client: admin,
      repo: remote.fileUrl,
      branch: 'deploy',
      workdir: workdir(t),
      auth: { token: 'git-token-1' },
      webhookSecret: 'hook-1',
      timeoutMs: 60_000,
    });
    assert.equal(again.secret, 'unchanged');
    assert.deepEqual([again.result.apps[0].created, again.result.apps[0].configured], [[], []], 'idempotent');

    // From now on the agent manages itself: change its interval in Git, publish, and the
    // agent (with its own ServiceAccount token, not an admin) rolls its Deployment.
    src.write({ 'apps/synthops-agent.ts': agentApp(agentNs, '30s') });
    src.commit('agent: poll every 30s');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const asAgent = await clientAs(t, agentNs, 'synthops-agent');
    const self = await agentOnce({
      client: asAgent,
      repo: remote.fileUrl,
      branch: 'deploy',
      workdir: workdir(t),
      inventoryNamespace: agentNs,
      source: SOURCE,
      wait: { timeoutMs: 60_000, pollMs: 300 },
    });
    assert.equal(self.result.converged, true, JSON.stringify(self.result.apps));
    assert.deepEqual(self.result.apps[0].configured, [`Deployment ${agentNs}/synthops-agent`]);
    const rolled = await apps.readNamespacedDeployment({ name: 'synthops-agent', namespace: agentNs });
    const args = rolled.spec!.template.spec!.containers[0].args!;
    assert.equal(args[args.indexOf('--interval') + 1], '30s');
    await eventually('rolled out', async () =>
      (await apps.listNamespacedReplicaSet({ namespace: agentNs })).items.length === 2 ? true : undefined,
    );
  });

  test('tenants are applied as their own ServiceAccounts: one converges, one writing outside its namespace fails clearly', async (t) => {
    const base = await testNamespace(t, 'lp');
    const agentNs = `${base}-agent`;
    const [nsA, nsB, nsC] = ['a', 'b', 'c'].map((x) => `${base}-${x}`);
    t.after(() => deleteNamespaces([agentNs, nsA, nsB, nsC]));
    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    // The platform team's part: tenant namespaces, each with a deployer allowed only there.
    for (const ns of [nsA, nsB, nsC]) await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const ns of [nsA, nsB]) {
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'deployer' } } });
      await rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'deployer' },
          rules: [
            {
              apiGroups: [''],
              resources: ['configmaps'],
              verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
            },
          ],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'deployer' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
          subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: ns }],
        },
      });
    }
    const tenant = (name: string, ns: string, target: string) => `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: '${name}', namespace: '${ns}', createNamespace: false, serviceAccount: 'deployer', build: (app) => {
  new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'settings', namespace: '${target}' }, data: { tenant: '${name}' } });
} });
`;
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      'apps/synthops-agent.ts': agentApp(agentNs, '1m'),
      'apps/tenant-a.ts': tenant('tenant-a', nsA, nsA),
      'apps/tenant-b.ts': tenant('tenant-b', nsB, nsC),
      'apps/rogue.ts': `import { k8s } from 'cdk8s-plus-28';\nimport { defineApp } from 'synthops';\nexport default defineApp({ name: 'rogue', namespace: '${nsA}', createNamespace: false, build: (app) => { new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'rogue' } }); } });\n`,
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const installed = await bootstrap({
      client: await testClient(t),
      repo: remote.fileUrl,
      branch: 'deploy',
      workdir: workdir(t),
      timeoutMs: 60_000,
    });
    assert.equal(installed.result.converged, true);

    const asAgent = await clientAs(t, agentNs, 'synthops-agent');
    const r = (
      await agentOnce({
        client: asAgent,
        repo: remote.fileUrl,
        branch: 'deploy',
        workdir: workdir(t),
        inventoryNamespace: agentNs,
        source: SOURCE,
        wait: { timeoutMs: 60_000, pollMs: 300 },
      })
    ).result;
    const by = Object.fromEntries(r.apps.map((a) => [a.app, a]));
    assert.deepEqual(
      [by['tenant-a'].status, by['tenant-a'].health],
      ['Applied', 'Healthy'],
      JSON.stringify(by['tenant-a']),
    );
    assert.equal((await core.readNamespacedConfigMap({ name: 'settings', namespace: nsA })).data?.tenant, 'tenant-a');

    assert.equal(by['tenant-b'].status, 'Failed');
    // Its account may not even read there: the missing permission is named, nothing written.
    assert.match(
      by['tenant-b'].why,
      new RegExp(`system:serviceaccount:${nsB}:deployer may not list configmaps in namespace ${nsC}`),
    );
    await assert.rejects(
      core.readNamespacedConfigMap({ name: 'settings', namespace: nsC }),
      notFound,
      'nothing written outside',
    );

    // An app without a ServiceAccount is written by the agent itself, which may not.
    assert.equal(by.rogue.status, 'Failed');
    assert.match(
      by.rogue.why,
      new RegExp(`system:serviceaccount:${agentNs}:synthops-agent.* cannot patch resource "configmaps"`),
    );
    assert.equal(by['synthops-agent'].status, 'Applied', 'the agent still manages itself');
  });
});
