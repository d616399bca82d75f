/**
 * Least privilege that holds, proven with the agent's own ServiceAccount token as
 * `bootstrap` installs it: what the apiserver's authorizer answers it (with and without
 * impersonation), that it cannot widen its own rights, that a commit which would is
 * held until an admin bootstraps again, that apps naming an account it may not act as,
 * or writing into its namespace, are refused with nothing written; and that a read it
 * may not do fails the app (named, with an Event, at the backoff rate), never a deletion.
 */
import * as k8s from '@kubernetes/client-node';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { canI } from '../../src/kube/access';
import { isForbidden } from '../../src/kube/errors';
import { main } from '../../src/cli/main';
import { bootstrap } from '../../src/bootstrap/bootstrap';
import { publish } from '../../src/publish/publish';
import { atomsOf, Rule } from '../../src/agent/plan/rbac-rules';
import { StatusStore } from '../../src/agent/state/status-store';
import { inventoryName } from '../../src/model/inventory';
import { testClient } from '../harness/agent';
import { deleteNamespaces, eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { metricValue, startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { SourceRepo } from '../harness/source-repo';
import { clientAs, kubeconfigFileAs } from '../harness/service-account';

const ENVS = `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`;
const AGENT = 'synthops-agent';

function agentApp(ns: string, extra = '', more = ''): string {
  return `import { AgentInstall, GitSource, defineApp } from 'synthops';
export default defineApp({ name: '${AGENT}', namespace: '${ns}', build: (app) => {
  new AgentInstall(app, 'agent', { repo: 'file:///deploy.git', branch: 'deploy', source: 'self', image: 'ghcr.io/example/synthops:0.1.0'${extra} });${more}
} });
`;
}

/** A GitSource declared in the agent's own app, with its credentials Secret. */
const GIT_SOURCE = `
  new GitSource(app, 'payments', { url: 'https://git.example.com/payments.git', branch: 'deploy', secretName: 'payments-git' });`;

/** An app applied as `deployer` of its namespace (or as the agent, without one), with one ConfigMap. */
function app(name: string, ns: string, sa: string | undefined): string {
  return `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: '${name}', namespace: '${ns}', createNamespace: false, ${sa ? `serviceAccount: '${sa}', ` : ''}build: (app) => {
  new k8s.KubeConfigMap(app, 'cm', { metadata: { name: 'settings' }, data: { app: '${name}' } });
} });
`;
}

/** An app that writes a Role and RoleBinding into the agent's namespace (to read its Secret). */
function intruder(agentNs: string, ns: string): string {
  return `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'intruder', namespace: '${ns}', createNamespace: false, build: (app) => {
  new k8s.KubeRole(app, 'role', { metadata: { name: 'intruder', namespace: '${agentNs}' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] });
  new k8s.KubeRoleBinding(app, 'binding', { metadata: { name: 'intruder', namespace: '${agentNs}' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'intruder' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: '${ns}' }] });
} });
`;
}

function workdir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-rbac-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A tenant namespace prepared by the platform team: a `deployer` allowed to manage ConfigMaps there. */
async function tenantNamespace(ns: string): Promise<void> {
  const kc = await testKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
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

/** Namespaces for one test (removed after it), and the agent's cluster-scoped RBAC too. */
async function setup(
  t: TestContext,
  prefix: string,
  tenants: string[],
): Promise<{ agentNs: string; ns: Record<string, string> }> {
  const base = await testNamespace(t, prefix);
  const agentNs = `${base}-agent`;
  const ns = Object.fromEntries(tenants.map((x) => [x, `${base}-${x}`]));
  t.after(async () => {
    const rbac = (await testKubeConfig()).makeApiClient(k8s.RbacAuthorizationV1Api);
    for (const name of [`${AGENT}-${agentNs}`, `${AGENT}-${agentNs}-cluster-admin`])
      await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: `${AGENT}-${agentNs}` }).catch(() => undefined);
    await deleteNamespaces([agentNs, ...Object.values(ns)]);
  });
  for (const x of Object.values(ns)) await tenantNamespace(x);
  return { agentNs, ns };
}

async function install(t: TestContext, remote: TestRemote): Promise<void> {
  const r = await bootstrap({
    client: await testClient(t),
    repo: remote.fileUrl,
    branch: 'deploy',
    workdir: workdir(t),
    timeoutMs: 90_000,
  });
  assert.equal(r.result.converged, true, JSON.stringify(r.result.apps.map((a) => [a.app, a.why])));
}

/** `synthops agent --once` with exactly the arguments of the installed Deployment, as the agent's ServiceAccount. */
async function runInstalledAgent(
  t: TestContext,
  agentNs: string,
  remote: TestRemote,
): Promise<{ code: number; out: string[] }> {
  const kc = await testKubeConfig();
  const dep = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: AGENT, namespace: agentNs });
  const args = [...dep.spec!.template.spec!.containers[0].args!];
  args[args.indexOf('--repo') + 1] = remote.fileUrl;
  const out: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
  const code = await main(
    [
      'node',
      'synthops',
      ...args,
      '--once',
      '--timeout',
      '60s',
      '--workdir',
      workdir(t),
      '--kubeconfig',
      await kubeconfigFileAs(t, agentNs, AGENT),
    ],
    io,
  );
  return { code, out };
}

/** The status column of one app in `agent --once` output. */
function statusOf(out: string[], app: string): string | undefined {
  return out.map((l) => l.split(/\s+/)).find((cols) => cols[0] === app && cols.length >= 8)?.[1];
}

async function absent(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch {
    return true;
  }
}

describe("least privilege, with the agent's own token", () => {
  test("what the authorizer answers the agent: only its apps' accounts, no escalation, nothing in kube-system; every rule it renders is one it holds", async (t) => {
    const { agentNs, ns } = await setup(t, 'ra', ['a']);
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      [`apps/${AGENT}.ts`]: agentApp(agentNs, '', GIT_SOURCE),
      'apps/tenant-a.ts': app('tenant-a', ns.a, 'deployer'),
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    await install(t, remote);
    const agent = await clientAs(t, agentNs, AGENT);
    const can = (a: Parameters<typeof canI>[1]) => canI(agent, a);

    // Every rule of every role bound to it, as installed, is one the authorizer grants it (the README's table is these rules).
    const rbac = (await testKubeConfig()).makeApiClient(k8s.RbacAuthorizationV1Api);
    const cluster = await rbac.readClusterRole({ name: `${AGENT}-${agentNs}` });
    const roles = [
      await rbac.readNamespacedRole({ name: AGENT, namespace: agentNs }),
      await rbac.readNamespacedRole({ name: `${AGENT}-${agentNs}`, namespace: ns.a }),
    ];
    const held = [
      ...atomsOf(cluster.rules as Rule[]).map((a) => ({ a, namespace: undefined as string | undefined })),
      ...roles.flatMap((r) => atomsOf(r.rules as Rule[]).map((a) => ({ a, namespace: r.metadata!.namespace }))),
    ];
    for (const { a, namespace } of held) {
      if (a.kind !== 'resource') continue;
      const [resource, subresource] = a.resource.split('/');
      assert.equal(
        await can({ verb: a.verb, group: a.group, resource, subresource, namespace, name: a.name }),
        true,
        `${a.verb} ${a.resource}/${a.name ?? '*'} in ${namespace ?? 'cluster'}`,
      );
    }

    // Impersonation: exactly its apps' accounts.
    assert.equal(
      await can({ verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace: ns.a, name: 'deployer' }),
      true,
    );
    for (const [namespace, name] of [
      ['kube-system', 'clusterrole-aggregation-controller'],
      ['kube-system', 'namespace-controller'],
      ['kube-system', 'generic-garbage-collector'],
      [ns.a, 'default'],
      ['default', 'deployer'],
      [agentNs, AGENT],
    ] as const) {
      assert.equal(
        await can({ verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace, name }),
        false,
        `impersonate ${namespace}/${name}`,
      );
    }
    for (const [resource, name] of [
      ['users', 'system:admin'],
      ['groups', 'system:masters'],
      ['serviceaccounts', undefined],
      ['userextras', undefined],
    ] as const) {
      assert.equal(
        await can({ verb: 'impersonate', group: '', resource, name }),
        false,
        `impersonate ${resource} ${name ?? '*'}`,
      );
    }
    // With impersonation headers: the account of kube-system is refused outright; its app's account works, and is only that account.
    const asController = agent.impersonating('kube-system/clusterrole-aggregation-controller');
    await assert.rejects(
      canI(asController, {
        verb: 'update',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
        name: 'cluster-admin',
      }),
      (e: unknown) => isForbidden(e),
    );
    const asDeployer = agent.impersonating(`${ns.a}/deployer`);
    assert.equal(await canI(asDeployer, { verb: 'create', group: '', resource: 'configmaps', namespace: ns.a }), true);
    assert.equal(
      await canI(asDeployer, {
        verb: 'update',
        group: 'rbac.authorization.k8s.io',
        resource: 'clusterroles',
        name: 'cluster-admin',
      }),
      false,
    );
    await assert.rejects(
      canI(agent.impersonating(`${ns.a}/default`), { verb: 'get', group: '', resource: 'configmaps', namespace: ns.a }),
      (e: unknown) => isForbidden(e),
    );

    // No escalation: it may re-apply its own roles, not widen them; neither escalate nor bind.
    for (const [resource, namespace, name] of [
      ['clusterroles', undefined, `${AGENT}-${agentNs}`],
      ['roles', agentNs, AGENT],
      ['roles', ns.a, `${AGENT}-${agentNs}`],
    ] as const) {
      assert.equal(
        await can({ verb: 'update', group: 'rbac.authorization.k8s.io', resource, namespace, name }),
        true,
        `update its own ${resource}`,
      );
      for (const verb of ['escalate', 'bind'])
        assert.equal(
          await can({ verb, group: 'rbac.authorization.k8s.io', resource, namespace, name }),
          false,
          `${verb} ${resource}`,
        );
    }
    for (const verb of ['escalate', 'bind', 'create'])
      assert.equal(
        await can({ verb, group: 'rbac.authorization.k8s.io', resource: 'clusterroles' }),
        false,
        `${verb} clusterroles`,
      );
    const path = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${AGENT}-${agentNs}`;
    const body = (rules: unknown[]) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${AGENT}-${agentNs}` },
      rules,
    });
    const star = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
    await assert.rejects(
      agent.apply(path, body([...(cluster.rules ?? []), star]), { fieldManager: 'synthops' }),
      (e: unknown) => isForbidden(e),
      'adding */* to its own ClusterRole is refused',
    );
    await agent.apply(path, body(cluster.rules ?? []), { fieldManager: 'synthops', dryRun: true });
    await agent.apply(path, body((cluster.rules ?? []).slice(1)), { fieldManager: 'synthops', dryRun: true });
    await assert.rejects(
      agent.apply(
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${agentNs}/rolebindings/${AGENT}`,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: AGENT, namespace: agentNs },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: AGENT, namespace: agentNs }],
        },
        { fieldManager: 'synthops' },
      ),
      (e: unknown) => isForbidden(e),
      'binding cluster-admin to itself is refused',
    );

    // Nothing in kube-system, not even reading; and not its own Secret.
    for (const resource of [
      'secrets',
      'configmaps',
      'pods',
      'serviceaccounts',
      'deployments',
      'roles',
      'rolebindings',
    ]) {
      const group =
        resource === 'deployments' ? 'apps' : resource.startsWith('role') ? 'rbac.authorization.k8s.io' : '';
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
        assert.equal(
          await can({ verb, group, resource, namespace: 'kube-system' }),
          false,
          `${verb} ${resource} in kube-system`,
        );
      }
    }
    assert.equal(await can({ verb: 'list', group: '', resource: 'secrets' }), false, 'no Secrets cluster-wide');
    assert.equal(
      await can({ verb: 'get', group: '', resource: 'secrets', namespace: agentNs, name: 'synthops-git' }),
      false,
      'not its own credentials either',
    );
    assert.equal(
      await can({ verb: 'create', group: '', resource: 'configmaps', namespace: ns.a }),
      false,
      'it writes tenants only as their accounts',
    );

    // Its GitSources: read them and write their status in its namespace, get exactly
    // the Secret they name; no other namespace's GitSources, no other Secret.
    const gs = { group: 'synthops.dev', resource: 'gitsources' };
    for (const verb of ['get', 'list', 'watch'])
      assert.equal(await can({ verb, ...gs, namespace: agentNs }), true, `${verb} gitsources`);
    assert.equal(await can({ verb: 'patch', ...gs, subresource: 'status', namespace: agentNs, name: 'other' }), true);
    assert.equal(await can({ verb: 'list', ...gs, namespace: ns.a }), false, 'GitSources of another namespace');
    assert.equal(await can({ verb: 'list', ...gs }), false, 'GitSources cluster-wide');
    assert.equal(
      await can({ verb: 'create', ...gs, namespace: agentNs, name: 'sneaky' }),
      false,
      'a GitSource not in Git',
    );
    assert.equal(
      await can({ verb: 'get', group: '', resource: 'secrets', namespace: agentNs, name: 'payments-git' }),
      true,
    );
    assert.equal(await can({ verb: 'list', group: '', resource: 'secrets', namespace: agentNs }), false);
    assert.equal(
      await can({ verb: 'get', group: '', resource: 'secrets', namespace: ns.a, name: 'payments-git' }),
      false,
      'the same name in another namespace',
    );
  });

  test("a commit that widens the agent's rights is held until an admin bootstraps; an unlisted account, kube-system's and a write into the agent's namespace are refused with nothing written", async (t) => {
    const { agentNs, ns } = await setup(t, 'rb', ['a', 'b']);
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      [`apps/${AGENT}.ts`]: agentApp(agentNs),
      'apps/tenant-a.ts': app('tenant-a', ns.a, 'deployer'),
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    await install(t, remote);

    src.write({
      // Wider rights for the agent itself: cluster-admin, and a new tenant's namespace and account.
      [`apps/${AGENT}.ts`]: agentApp(agentNs, `, permissions: 'cluster-admin'`),
      'apps/tenant-b.ts': app('tenant-b', ns.b, 'deployer'),
      'apps/intruder.ts': intruder(agentNs, ns.a),
      'apps/kube.ts': app('kube', 'kube-system', 'clusterrole-aggregation-controller'),
    });
    src.commit('add tenant b, and two apps that must not be applied');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const held = await runInstalledAgent(t, agentNs, remote);
    const text = held.out.join('\n');
    assert.equal(held.code, 1, text);
    assert.equal(statusOf(held.out, 'tenant-a'), 'Applied', text);
    for (const a of [AGENT, 'tenant-b', 'intruder', 'kube'])
      assert.equal(statusOf(held.out, a), 'Failed', `${a}\n${text}`);
    assert.match(
      text,
      new RegExp(
        `Role ${ns.b}/${AGENT}-${agentNs} \\(.*\\): needs bootstrap by an admin: adds .*impersonate serviceaccounts/deployer.* in namespace ${ns.b}`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `ClusterRoleBinding ${AGENT}-${agentNs}-cluster-admin \\(.*\\): needs bootstrap by an admin: binds ClusterRole cluster-admin`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `tenant-b: refused, nothing of this app was written: ServiceAccount ${ns.b}/deployer is not one the agent may act as \\(allowed: ${ns.a}/deployer\\)`,
      ),
    );
    assert.match(
      text,
      /kube: refused, nothing of this app was written: ServiceAccount kube-system\/clusterrole-aggregation-controller is in kube-system/,
    );
    assert.match(
      text,
      new RegExp(
        `intruder: refused, nothing of this app was written: Role ${agentNs}/intruder .*: the namespace ${agentNs} is the agent's own`,
      ),
    );

    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const rbacApi = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    assert.ok(
      await absent(core.readNamespacedConfigMap({ name: 'settings', namespace: ns.b })),
      'tenant-b wrote nothing',
    );
    assert.ok(
      await absent(core.readNamespacedConfigMap({ name: 'settings', namespace: 'kube-system' })),
      'nothing in kube-system',
    );
    assert.ok(
      await absent(rbacApi.readNamespacedRole({ name: 'intruder', namespace: agentNs })),
      'no Role in the agent namespace',
    );
    assert.ok(await absent(rbacApi.readNamespacedRoleBinding({ name: 'intruder', namespace: agentNs })));
    assert.ok(
      await absent(rbacApi.readNamespacedRole({ name: `${AGENT}-${agentNs}`, namespace: ns.b })),
      'the agent did not grant itself rights in the new namespace',
    );
    assert.ok(
      await absent(rbacApi.readClusterRoleBinding({ name: `${AGENT}-${agentNs}-cluster-admin` })),
      'nor cluster-admin',
    );
    const inventories = (await core.listNamespacedConfigMap({ namespace: agentNs })).items.map(
      (c) => c.metadata!.name!,
    );
    assert.deepEqual(
      inventories.filter((n) => ['tenant-b', 'intruder', 'kube'].some((a) => n === inventoryName('dev', a))),
      [],
      'no inventory for a refused app',
    );
    assert.ok(inventories.includes(inventoryName('dev', 'tenant-a')));
    const args = (await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ name: AGENT, namespace: agentNs }))
      .spec!.template.spec!.containers[0].args!;
    assert.equal(
      args[args.indexOf('--allowed-service-accounts') + 1],
      `${ns.a}/deployer`,
      'its Deployment (and so its allowed list) was not changed either',
    );

    // An admin bootstraps again: the new tenant is granted, the refused apps stay refused.
    await install(t, remote);
    const after = await runInstalledAgent(t, agentNs, remote);
    const afterText = after.out.join('\n');
    for (const a of [AGENT, 'tenant-a', 'tenant-b'])
      assert.equal(statusOf(after.out, a), 'Applied', `${a}\n${afterText}`);
    for (const a of ['intruder', 'kube']) assert.equal(statusOf(after.out, a), 'Failed', `${a}\n${afterText}`);
    assert.equal((await core.readNamespacedConfigMap({ name: 'settings', namespace: ns.b })).data?.app, 'tenant-b');
  });

  test('a read the agent may not do fails the app (not Ready, the permission named, an Event) at the backoff rate, and is never taken for a deletion', async (t) => {
    const { agentNs, ns } = await setup(t, 'rf', ['a']);
    // `manages` replaces the computed reads: the agent may not list ConfigMaps where its tenant is.
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      [`apps/${AGENT}.ts`]: agentApp(agentNs, `, manages: [{ apiGroup: '', resources: ['namespaces'] }]`),
      'apps/tenant-a.ts': app('tenant-a', ns.a, 'deployer'),
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    await install(t, remote);
    const agent = await clientAs(t, agentNs, AGENT);
    const c = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns: agentNs,
      client: agent,
      retryBaseMs: 500,
    });
    const status = new StatusStore(await testClient(t), agentNs);
    const sync = await eventually('tenant-a not ready', async () => {
      const s = await status.get('dev', 'tenant-a');
      return s?.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'False') ? s : undefined;
    });
    const ready = sync.status!.conditions!.find((x) => x.type === 'Ready')!;
    assert.equal(ready.reason, 'ReadForbidden');
    assert.match(
      ready.message,
      new RegExp(`the agent may not list configmaps in namespace ${ns.a} \\(missing permission: list configmaps\\)`),
    );
    await eventually('a ReadForbidden Event', async () =>
      (await status.events(sync)).some((e) => e.type === 'Warning' && e.reason === 'ReadForbidden') ? true : undefined,
    );
    assert.ok(
      await absent(
        (await testKubeConfig())
          .makeApiClient(k8s.CoreV1Api)
          .readNamespacedConfigMap({ name: 'settings', namespace: ns.a }),
      ),
      'nothing written',
    );

    // The rate: retries with backoff (500 ms doubling: at most 5 in the next 6 s), never drift.
    const labels = { app: 'tenant-a', env: 'dev' };
    const count = async () =>
      (await metricValue(c.metrics, 'synthops_reconciles_total', { ...labels, result: 'failed' })) ?? 0;
    const before = await count();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    const during = (await count()) - before;
    const elapsed = (Date.now() - started) / 1000;
    // Retries at 0.5, 1, 2, 4 ... s after each other: in `elapsed` seconds at most log2(elapsed / 0.5) + 2 of them (a hot loop did ~10 a second).
    assert.ok(during <= Math.ceil(Math.log2(elapsed / 0.5)) + 2, `${during} reconciles in ${elapsed.toFixed(1)} s`);
    assert.deepEqual(
      c.logs.filter((l) => l.msg === 'drift detected' && l.app === 'tenant-a'),
      [],
      'a refused list is not a deletion',
    );
  });
});
