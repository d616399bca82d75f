/**
 * Proves the local control plane is a real cluster: controllers, scheduler, kwok
 * kubelets, CRDs, RBAC with ServiceAccount tokens, validation, and kubectl.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'child_process';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FIELD_MANAGER } from '../../src/model/keys';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { ensureBinaries } from './plane';

async function clients() {
  const kc = await testKubeConfig();
  return {
    kc,
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
  };
}

function ssa<T extends k8s.KubernetesObject>(api: k8s.KubernetesObjectApi, obj: T, dryRun?: 'All'): Promise<T> {
  return api.patch(obj, undefined, dryRun, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
}

describe('local control plane', () => {
  test('a Deployment applied server-side becomes Available with Pods Running on kwok Nodes', async (t) => {
    const ns = await testNamespace(t);
    const { objects, apps, core } = await clients();
    const applied = await ssa(objects, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390',
                ports: [{ containerPort: 8080 }],
              },
            ],
          },
        },
      },
    } as k8s.V1Deployment);
    assert.ok(
      applied.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'),
      'managed by synthops via Apply',
    );

    const dep = await eventually('Deployment Available', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') &&
        d.status?.readyReplicas === 2
        ? d
        : undefined;
    });
    assert.equal(dep.status?.availableReplicas, 2);

    const rs = await apps.listNamespacedReplicaSet({ namespace: ns });
    assert.equal(rs.items.length, 1, 'the controller-manager created one ReplicaSet');
    assert.equal(rs.items[0].metadata?.ownerReferences?.[0].name, 'web');

    const pods = await core.listNamespacedPod({ namespace: ns });
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.equal(p.status?.phase, 'Running', `${p.metadata?.name} Running`);
      assert.match(p.spec?.nodeName ?? '', /^kwok-node-/, 'scheduled onto a kwok Node');
      assert.ok(p.status?.podIP, 'kwok assigned a Pod IP');
    }
  });

  test('a CRD becomes Established and a custom resource of it can be applied', async (t) => {
    const ns = await testNamespace(t);
    const { objects, ext, custom } = await clients();
    const group = `${ns}.example.synthops.dev`;
    const crdName = `widgets.${group}`;
    t.after(() => ext.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined));
    await ssa(objects, {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crdName },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    } as k8s.V1CustomResourceDefinition);
    await eventually('CRD Established', async () => {
      const crd = await ext.readCustomResourceDefinition({ name: crdName });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    // Discovery can lag the Established condition by a moment.
    await eventually('custom resource applied', () =>
      ssa(objects, {
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: { name: 'w1', namespace: ns },
        spec: { size: 3 },
      } as k8s.KubernetesObject),
    );
    const got = (await custom.getNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name: 'w1',
    })) as { spec: { size: number } };
    assert.equal(got.spec.size, 3);
  });

  test('a ServiceAccount token from TokenRequest is allowed in its namespace and denied (403) outside', async (t) => {
    const ns = await testNamespace(t);
    const other = await testNamespace(t, 'other');
    const { kc, objects, core } = await clients();
    await ssa(objects, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tenant', namespace: ns } });
    await ssa(objects, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'cm-reader', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    } as k8s.V1Role);
    await ssa(objects, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'tenant-cm-reader', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'tenant', namespace: ns }],
    } as k8s.V1RoleBinding);

    const tr = await core.createNamespacedServiceAccountToken({
      name: 'tenant',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    assert.ok(token, 'TokenRequest returned a token');

    const cluster = kc.getCurrentCluster()!;
    const tenant = new k8s.KubeConfig();
    tenant.loadFromOptions({
      clusters: [{ name: 'c', server: cluster.server, caFile: cluster.caFile }],
      users: [{ name: 'tenant', token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'tenant' }],
      currentContext: 'c',
    });
    // The token authenticates as the ServiceAccount (not as the admin, not anonymously).
    const review = await tenant
      .makeApiClient(k8s.AuthenticationV1Api)
      .createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.status?.userInfo?.username, `system:serviceaccount:${ns}:tenant`);
    assert.ok(
      review.status?.userInfo?.groups?.includes(`system:serviceaccounts:${ns}`),
      JSON.stringify(review.status?.userInfo),
    );

    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'visible' }, data: { k: 'v' } } });
    const tenantCore = tenant.makeApiClient(k8s.CoreV1Api);
    const inside = await eventually('RBAC allows the tenant in its namespace', () =>
      tenantCore.listNamespacedConfigMap({ namespace: ns }),
    );
    assert.ok(
      inside.items.some((c) => c.metadata?.name === 'visible'),
      "the list returns the namespace's ConfigMaps",
    );
    assert.deepEqual((await tenantCore.readNamespacedConfigMap({ name: 'visible', namespace: ns })).data, { k: 'v' });
    const denied = (verb: string, namespace: string) => (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, String(e));
      assert.equal(e.code, 403);
      const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as {
        reason?: string;
        message?: string;
      };
      assert.equal(status.reason, 'Forbidden');
      assert.equal(
        status.message,
        `configmaps is forbidden: User "system:serviceaccount:${ns}:tenant" cannot ${verb} resource "configmaps" in API group "" in the namespace "${namespace}"`,
      );
      return true;
    };
    // Only the verbs granted, only where granted.
    await assert.rejects(
      tenantCore.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'written' } } }),
      denied('create', ns),
    );
    await assert.rejects(tenantCore.listNamespacedConfigMap({ namespace: other }), denied('list', other));
  });

  test('server-side dry-run of an invalid object fails with the validation message and creates nothing', async (t) => {
    const ns = await testNamespace(t);
    const { objects, apps } = await clients();
    const invalid = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken', namespace: ns },
      spec: {
        replicas: -1,
        selector: { matchLabels: { app: 'x' } },
        template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
      },
    } as k8s.V1Deployment;
    await assert.rejects(ssa(objects, invalid, 'All'), (e: k8s.ApiException<unknown>) => {
      assert.equal(e.code, 422);
      assert.match(String(e.body), /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
      return true;
    });
    const list = await apps.listNamespacedDeployment({ namespace: ns });
    assert.equal(list.items.length, 0, 'nothing was created');
  });

  test('kubectl from the cache talks to the plane with the kubeconfig', async () => {
    const kubectl = `${ensureBinaries()}/kubectl`;
    const out = execFileSync(kubectl, ['--kubeconfig', await testKubeconfig(), 'get', 'nodes', '-o', 'name'], {
      encoding: 'utf8',
    });
    assert.deepEqual(
      out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('node/kwok-')).length >= 2,
      true,
    );
    const version = execFileSync(kubectl, ['--kubeconfig', await testKubeconfig(), 'version', '-o', 'json'], {
      encoding: 'utf8',
    });
    assert.match(JSON.parse(version).serverVersion.gitVersion, /^v1\.\d+\.\d+/);
  });
});
