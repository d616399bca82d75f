/**
 * The agent's RBAC as AgentInstall renders it: computed from every app of the
 * environment (whatever their order, cached or not), exact names for impersonation,
 * namespaced reads only where its apps are, nothing in kube-system, no escalate/bind.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { synth } from '../../src/synth/synth';
import { makeRepo, readTree } from '../harness/config-repo';

const ENVS = `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`;
const AGENT = `import { AgentInstall, defineApp } from 'synthops';
export default defineApp({ name: 'synthops-agent', namespace: 'agent-ns', build: (app) => {
  new AgentInstall(app, 'agent', { repo: 'https://git.example.com/deploy.git', branch: 'deploy', image: 'ghcr.io/example/synthops:0.1.0' });
} });
`;

/** An app with a ServiceAccount (or none) holding objects of the given kinds. */
function tenant(
  name: string,
  ns: string,
  sa: string | undefined,
  kinds: Array<'ConfigMap' | 'Secret' | 'Role'>,
): string {
  const objs = kinds
    .map((k) =>
      k === 'Role'
        ? `new ApiObject(app, 'role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [] } as never);`
        : `new ApiObject(app, '${k.toLowerCase()}', { apiVersion: 'v1', kind: '${k}', metadata: { name: '${name}' } });`,
    )
    .join('\n  ');
  return `import { ApiObject } from 'cdk8s';
import { defineApp } from 'synthops';
export default defineApp({ name: '${name}', namespace: '${ns}', createNamespace: false, ${sa ? `serviceAccount: '${sa}', ` : ''}build: (app) => {
  ${objs}
} });
`;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

function out(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-rbac-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'dist');
}

/** Every object of the agent's app. */
function objects(dist: string): Array<Record<string, any>> {
  const dir = path.join(dist, 'dev', 'synthops-agent');
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => YAML.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

function find(dist: string, kind: string, namespace?: string): Record<string, any> {
  const found = objects(dist).find((o) => o.kind === kind && o.metadata.namespace === namespace);
  assert.ok(found, `${kind} in ${namespace ?? 'the cluster'}`);
  return found;
}

const reads = (rules: Rule[]) =>
  rules
    .filter((r) => r.verbs.join() === 'get,list,watch' && !r.resourceNames)
    .flatMap((r) => r.resources.map((x) => `${r.apiGroups[0]}:${x}`))
    .sort();

describe('AgentInstall RBAC', () => {
  test('is computed from every app, before and after the agent in order: exact accounts, namespaced reads where the apps are, nothing in kube-system or for accounts of the agent namespace', (t) => {
    const root = makeRepo(t, {
      'apps/environments.ts': ENVS,
      'apps/aa-probe.ts': tenant('aa-probe', 'probe', 'prober', ['Secret']),
      'apps/synthops-agent.ts': AGENT,
      'apps/tenant.ts': tenant('tenant', 'tenant', 'deployer', ['ConfigMap', 'Role']),
      'apps/zz-sneaky.ts': tenant('zz-sneaky', 'kube-system', 'clusterrole-aggregation-controller', ['ConfigMap']),
      'apps/zz-inside.ts': tenant('zz-inside', 'agent-ns', 'synthops-agent', ['ConfigMap']),
      'apps/zz-plain.ts': tenant('zz-plain', 'plain', undefined, ['ConfigMap']),
    });
    const dist = out(t);
    const r = synth({ root, out: dist, cache: false });
    assert.deepEqual(r.issues, []);
    // A Role and binding in each tenant namespace, none in kube-system, the agent's own or the plain app's.
    assert.deepEqual(
      objects(dist)
        .filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')
        .map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
      [
        'Role agent-ns/synthops-agent',
        'Role probe/synthops-agent-agent-ns',
        'Role tenant/synthops-agent-agent-ns',
        'RoleBinding agent-ns/synthops-agent',
        'RoleBinding probe/synthops-agent-agent-ns',
        'RoleBinding tenant/synthops-agent-agent-ns',
      ],
    );
    const probe = find(dist, 'Role', 'probe');
    const inTenant = find(dist, 'Role', 'tenant');
    assert.equal(probe.metadata.namespace, 'probe');
    assert.deepEqual(
      reads(probe.rules),
      [':secrets', 'rbac.authorization.k8s.io:rolebindings', 'rbac.authorization.k8s.io:roles'],
      'the Secret of the app that sorts before the agent',
    );
    assert.deepEqual(
      reads(inTenant.rules),
      [':configmaps', 'rbac.authorization.k8s.io:rolebindings', 'rbac.authorization.k8s.io:roles'],
      'the ConfigMap of the app that sorts after it',
    );
    assert.deepEqual(
      probe.rules.find((x: Rule) => x.verbs.includes('impersonate')),
      { apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['prober'], verbs: ['impersonate'] },
    );
    assert.deepEqual(inTenant.rules.find((x: Rule) => x.verbs.includes('impersonate')).resourceNames, ['deployer']);

    const cluster = find(dist, 'ClusterRole');
    const own = find(dist, 'Role', 'agent-ns');
    for (const role of [cluster, own, probe, inTenant]) {
      for (const rule of role.rules as Rule[]) {
        assert.ok(
          !rule.verbs.some((v) => ['escalate', 'bind', '*'].includes(v)),
          `no escalate, bind or *: ${JSON.stringify(rule)}`,
        );
        assert.ok(!rule.resources.includes('*') && !rule.apiGroups.includes('*'), JSON.stringify(rule));
        if (rule.verbs.includes('impersonate'))
          assert.ok(role !== cluster && rule.resourceNames?.length, 'impersonation only by name, in a namespace');
      }
    }
    assert.deepEqual(
      reads(cluster.rules),
      [
        ':namespaces',
        'apiextensions.k8s.io:customresourcedefinitions',
        'rbac.authorization.k8s.io:clusterrolebindings',
        'rbac.authorization.k8s.io:clusterroles',
      ],
      'cluster-wide: cluster-scoped kinds only',
    );
    const args: string[] = find(dist, 'Deployment', 'agent-ns').spec.template.spec.containers[0].args;
    assert.equal(args[args.indexOf('--allowed-service-accounts') + 1], 'probe/prober,tenant/deployer');
    assert.equal(args[args.indexOf('--own-app') + 1], 'synthops-agent');
  });

  test('with the synth cache, a kind added to another app reaches the agent, byte-identical to a synth without the cache', (t) => {
    const root = makeRepo(t, {
      'apps/environments.ts': ENVS,
      'apps/synthops-agent.ts': AGENT,
      'apps/tenant.ts': tenant('tenant', 'tenant', 'deployer', ['ConfigMap']),
    });
    const first = synth({ root });
    assert.deepEqual(first.issues, []);
    assert.deepEqual(
      synth({ root }).stats.renderedSources,
      ['apps/synthops-agent.ts'],
      'the agent app always renders; the others come from the cache',
    );
    fs.writeFileSync(
      path.join(root, 'apps', 'tenant.ts'),
      tenant('tenant', 'tenant', 'deployer', ['ConfigMap', 'Secret']),
    );
    const again = synth({ root });
    assert.deepEqual([...again.stats.renderedSources].sort(), ['apps/synthops-agent.ts', 'apps/tenant.ts']);
    assert.deepEqual(reads(find(again.outDir, 'Role', 'tenant').rules), [
      ':configmaps',
      ':secrets',
      'rbac.authorization.k8s.io:rolebindings',
      'rbac.authorization.k8s.io:roles',
    ]);
    // The agent module re-rendered over the tenant's cached output: the same as a cold synth.
    fs.writeFileSync(path.join(root, 'apps', 'synthops-agent.ts'), `${AGENT}// touched\n`);
    const warm = synth({ root });
    assert.deepEqual(warm.stats.renderedSources, ['apps/synthops-agent.ts']);
    const cold = out(t);
    synth({ root, out: cold, cache: false });
    assert.deepEqual(readTree(warm.outDir), readTree(cold));
  });
});

describe('AgentInstall: signed deploy commits', () => {
  test('verifySignatures mounts the allowed signers from a Secret and turns the check on, with no right to read the Secret', (t) => {
    const agent = AGENT.replace(
      "image: 'ghcr.io/example/synthops:0.1.0' }",
      "image: 'ghcr.io/example/synthops:0.1.0', verifySignatures: { secretName: 'deploy-signers', revokedKeys: true } }",
    );
    const root = makeRepo(t, { 'apps/environments.ts': ENVS, 'apps/synthops-agent.ts': agent });
    const dist = out(t);
    const r = synth({ root, out: dist, cache: false });
    assert.deepEqual(r.issues, []);
    const pod = find(dist, 'Deployment', 'agent-ns').spec.template.spec;
    const args: string[] = pod.containers[0].args;
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    assert.ok(args.includes('--verify-signatures'));
    assert.equal(at('--allowed-signers'), '/var/run/secrets/synthops-signers/allowed_signers');
    assert.equal(at('--revoked-keys'), '/var/run/secrets/synthops-signers/revoked_keys');
    assert.deepEqual(
      pod.containers[0].volumeMounts.find((m: { name: string }) => m.name === 'signers'),
      { name: 'signers', mountPath: '/var/run/secrets/synthops-signers', readOnly: true },
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === 'signers');
    assert.equal(volume.secret.secretName, 'deploy-signers');
    assert.deepEqual(
      volume.secret.items.map((i: { key: string }) => i.key),
      ['allowed_signers', 'revoked_keys'],
    );
    const rules: Rule[] = objects(dist)
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((o) => o.rules);
    assert.equal(
      rules.some((x) => x.resources.includes('secrets') && (x.resourceNames ?? []).includes('deploy-signers')),
      false,
      'the kubelet mounts it; the agent reads no Secret for it',
    );
  });
});

describe('AgentInstall: notifications', () => {
  const install = (t: TestContext, extra: string) => {
    const agent = AGENT.replace(
      "image: 'ghcr.io/example/synthops:0.1.0' }",
      `image: 'ghcr.io/example/synthops:0.1.0', ${extra} }`,
    );
    const root = makeRepo(t, { 'apps/environments.ts': ENVS, 'apps/synthops-agent.ts': agent });
    const dist = out(t);
    const r = synth({ root, out: dist, cache: false });
    assert.deepEqual(r.issues, []);
    const pod = find(dist, 'Deployment', 'agent-ns').spec.template.spec;
    const args: string[] = pod.containers[0].args;
    const items = pod.volumes
      .find((v: { name: string }) => v.name === 'webhook-secret')
      .secret.items.map((i: { key: string }) => i.key);
    return { args, at: (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined), items };
  };

  test('commit statuses: format, template and repo reach the flags; the forge token is a file from the credentials Secret', (t) => {
    const { at, items } = install(
      t,
      "notifyUrl: 'https://api.github.example', notifyFormat: 'github', notifyRepo: 'shop/web', notifyTemplate: '{{app}} {{reason}}'",
    );
    assert.equal(at('--notify-url'), 'https://api.github.example');
    assert.equal(at('--notify-format'), 'github');
    assert.equal(at('--notify-repo'), 'shop/web');
    assert.equal(at('--notify-template'), '{{app}} {{reason}}');
    assert.equal(at('--notify-token-file'), '/var/run/secrets/synthops/notify-token');
    assert.deepEqual(items, ['webhook-secret', 'notify-token']);
  });

  test('a chat webhook needs no token: none is mounted or passed', (t) => {
    const { at, args, items } = install(t, "notifyUrl: 'https://chat.example/hook', notifyFormat: 'msteams'");
    assert.equal(at('--notify-format'), 'msteams');
    assert.equal(args.includes('--notify-token-file'), false);
    assert.deepEqual(items, ['webhook-secret']);
  });
});
