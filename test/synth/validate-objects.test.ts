/**
 * The validation rules on rendered objects, called directly (no synth): every rule,
 * its boundaries and its exact message. test/synth/validate.test.ts proves the same
 * rules through a real synth of a config repo; this one is fast enough to run for
 * every mutant of `npm run test:mutations`.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScopeResolver } from '../../src/synth/scope';
import { CheckedObject, ValidationIssue, formatIssue, nameProblem, validateObjects } from '../../src/synth/validate';
import { Manifest } from '../../src/model/manifest';

const IMAGE = 'docker.io/library/nginx:1.27';
const LIMITS = { limits: { cpu: '100m', memory: '64Mi' } };

function checked(manifest: Manifest, o: Partial<Omit<CheckedObject, 'manifest'>> = {}): CheckedObject {
  return { env: 'dev', app: 'web', source: 'apps/web.ts', production: false, ...o, manifest };
}

/** A ConfigMap; `null` leaves the namespace out. */
function cm(name: string, namespace: string | null = 'n'): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace === null ? {} : { namespace }) },
    data: {},
  };
}

function workload(kind: string, podSpec: Record<string, unknown>): Manifest {
  const spec =
    kind === 'Pod'
      ? podSpec
      : kind === 'CronJob'
        ? { jobTemplate: { spec: { template: { spec: podSpec } } } }
        : { template: { spec: podSpec } };
  return {
    apiVersion: kind === 'Pod' ? 'v1' : kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name: 'w', namespace: 'n' },
    spec,
  };
}

function validate(objects: readonly CheckedObject[]): string[] {
  return validateObjects(objects, new ScopeResolver(objects.map((o) => o.manifest))).map(formatIssue);
}

describe('validation rules on rendered objects', () => {
  test('a valid object has no issue', () => {
    assert.deepEqual(
      validate([
        checked(cm('a')),
        checked(workload('Deployment', { containers: [{ name: 'c', image: IMAGE, resources: LIMITS }] }), {
          production: true,
        }),
      ]),
      [],
    );
  });

  test('missing identity: each missing field is named, and nothing else is checked for that object', () => {
    assert.deepEqual(
      validate([checked({ apiVersion: '', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } } as Manifest)]),
      ['error[missing-identity] dev/web (apps/web.ts) ConfigMap Bad_Name apiVersion: required for every object'],
    );
    assert.deepEqual(validate([checked({ metadata: {} } as unknown as Manifest)]), [
      'error[missing-identity] dev/web (apps/web.ts) ? ? apiVersion, kind, metadata.name: required for every object',
    ]);
    assert.deepEqual(validate([checked({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '' } } as Manifest)]), [
      'error[missing-identity] dev/web (apps/web.ts) ConfigMap  metadata.name: required for every object',
    ]);
    assert.deepEqual(
      validate([checked({ apiVersion: 'v1', kind: 7, metadata: { name: 'x' } } as unknown as Manifest)]),
      ['error[missing-identity] dev/web (apps/web.ts) 7 x kind: required for every object'],
    );
    assert.deepEqual(validate([checked({ apiVersion: 'v1', kind: 'ConfigMap' } as Manifest)]), [
      'error[missing-identity] dev/web (apps/web.ts) ConfigMap ? metadata.name: required for every object',
    ]);
  });

  test('duplicates: per environment, naming the first owner', () => {
    const a = checked(cm('shared'), { app: 'a', source: 'apps/a.ts' });
    const b = checked(cm('shared'), { app: 'b', source: 'apps/b.ts' });
    assert.deepEqual(validate([a, b, checked(cm('shared'), { app: 'c', source: 'apps/c.ts' })]), [
      'error[duplicate-object] dev/b (apps/b.ts) ConfigMap n/shared: also defined by app "a" (apps/a.ts) in environment dev; each object must have one owner',
      'error[duplicate-object] dev/c (apps/c.ts) ConfigMap n/shared: also defined by app "a" (apps/a.ts) in environment dev; each object must have one owner',
    ]);
    assert.deepEqual(validate([a, { ...b, env: 'prod' }]), [], 'another environment is another cluster');
    assert.deepEqual(
      validate([a, checked(cm('shared', 'other'), { app: 'b' })]),
      [],
      'another namespace is another object',
    );
  });

  test('names: DNS subdomains by default, DNS labels for Namespaces and Services, path segments for RBAC', () => {
    assert.equal(nameProblem('v1', 'ConfigMap', 'a.b-c'), undefined);
    assert.equal(nameProblem('v1', 'ConfigMap', 'a'.repeat(253)), undefined);
    assert.equal(
      nameProblem('v1', 'ConfigMap', 'a'.repeat(254)),
      `"${'a'.repeat(254)}" is not a valid DNS subdomain (at most 253 lowercase letters, digits, "-" and ".", starting and ending alphanumeric)`,
    );
    for (const bad of ['Bad', 'aB', '-a', 'a-', 'a..b', 'a_b', '', '.a', 'a.', 'a.-b', 'a-.b', 'a b'])
      assert.match(nameProblem('v1', 'ConfigMap', bad) ?? '', /is not a valid DNS subdomain/, bad);
    for (const good of ['a', '0', 'a-b', 'a--b', '0a.b-c.d9', 'a.b.c'])
      assert.equal(nameProblem('v1', 'ConfigMap', good), undefined, good);
    for (const bad of ['A', 'aB', '-a', 'a-', 'a_b', '', 'a.b', 'a b']) {
      assert.match(nameProblem('v1', 'Namespace', bad) ?? '', /is not a valid DNS label/, bad);
      assert.deepEqual(
        validate([checked(cm('x', bad || 'Z'))]).map((l) => l.replace(/^.* metadata\.namespace: /, '')),
        [`"${bad || 'Z'}" is not a valid DNS label`],
        `namespace ${bad}`,
      );
    }
    for (const good of ['a', '0', 'a-b', 'a--b', 'a1-b2'])
      assert.equal(nameProblem('v1', 'Service', good), undefined, good);
    assert.equal(nameProblem('v1', 'Service', 'a'.repeat(63)), undefined);
    assert.equal(
      nameProblem('v1', 'Service', 'a'.repeat(64)),
      `"${'a'.repeat(64)}" is not a valid DNS label (at most 63 lowercase letters, digits and "-", starting and ending alphanumeric)`,
    );
    assert.match(nameProblem('v1', 'Namespace', 'a.b') ?? '', /is not a valid DNS label/);
    assert.equal(nameProblem('example.dev/v1', 'Service', 'a.b'), undefined, 'only the core Service is a DNS name');
    assert.equal(nameProblem('v1', 'Servicex', 'a.b'), undefined);
    assert.equal(nameProblem('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:controller:Thing'), undefined);
    for (const bad of ['.', '..', 'a/b', 'a%b', ''])
      assert.equal(
        nameProblem('rbac.authorization.k8s.io/v1', 'Role', bad),
        `"${bad}" is not a valid Role name (must not be "." or ".." or contain "/" or "%")`,
      );
    assert.deepEqual(validate([checked(cm('Bad_Name'))]), [
      'error[invalid-name] dev/web (apps/web.ts) ConfigMap n/Bad_Name metadata.name: "Bad_Name" is not a valid DNS subdomain (at most 253 lowercase letters, digits, "-" and ".", starting and ending alphanumeric)',
    ]);
  });

  test('namespaces: required for namespaced kinds, absent or a DNS label otherwise', () => {
    assert.deepEqual(validate([checked(cm('a', null)), checked(cm('b', ''))]), [
      'error[missing-namespace] dev/web (apps/web.ts) ConfigMap a metadata.namespace: ConfigMap is namespaced; set a namespace (the Application sets one unless a patch removed it)',
      'error[missing-namespace] dev/web (apps/web.ts) ConfigMap b metadata.namespace: ConfigMap is namespaced; set a namespace (the Application sets one unless a patch removed it)',
    ]);
    assert.deepEqual(
      validate([checked(cm('a', 'Team_A')), checked(cm('b', 'a'.repeat(64))), checked(cm('c', 'a'.repeat(63)))]),
      [
        'error[invalid-name] dev/web (apps/web.ts) ConfigMap Team_A/a metadata.namespace: "Team_A" is not a valid DNS label',
        `error[invalid-name] dev/web (apps/web.ts) ConfigMap ${'a'.repeat(64)}/b metadata.namespace: "${'a'.repeat(64)}" is not a valid DNS label`,
      ],
    );
    const crd: Manifest = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.dev' },
      spec: { group: 'example.dev', scope: 'Cluster', names: { kind: 'Gadget' } },
    };
    const gadget: Manifest = { apiVersion: 'example.dev/v1', kind: 'Gadget', metadata: { name: 'g' } };
    const ns: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } };
    assert.deepEqual(
      validate([checked(crd), checked(gadget), checked(ns)]),
      [],
      'cluster-scoped kinds, built in or from a CRD of the render, need none',
    );
    assert.deepEqual(
      validate([checked({ ...ns, metadata: { name: 'team', namespace: 'Bad_NS' } })]),
      [
        'error[invalid-name] dev/web (apps/web.ts) Namespace Bad_NS/team metadata.namespace: "Bad_NS" is not a valid DNS label',
      ],
      'a namespace that is set is checked even where none is needed',
    );
  });

  test('images must be pinned, in every container of every workload kind', () => {
    const kinds = [
      'Pod',
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'ReplicationController',
      'Job',
      'CronJob',
    ];
    const field = (kind: string) =>
      (({ Pod: 'spec', CronJob: 'spec.jobTemplate.spec.template.spec' }) as Record<string, string>)[kind] ??
      'spec.template.spec';
    for (const kind of kinds) {
      const w = workload(kind, {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [{ name: 'ok', image: IMAGE }, { name: 'c', image: 'nginx:latest' }, { name: 'none' }],
      });
      const name = `${kind} n/w`;
      assert.deepEqual(
        validate([checked(w)]),
        [
          `error[image-not-pinned] dev/web (apps/web.ts) ${name} ${field(kind)}.initContainers[0].image: "busybox" has no tag; pin a version tag or a digest`,
          `error[image-not-pinned] dev/web (apps/web.ts) ${name} ${field(kind)}.containers[1].image: "nginx:latest" uses the mutable tag ":latest"; pin a version tag or a digest`,
          `error[image-not-pinned] dev/web (apps/web.ts) ${name} ${field(kind)}.containers[2].image: no image set`,
        ],
        kind,
      );
    }
    assert.deepEqual(validate([checked(workload('Deployment', { containers: [{ name: 'c', image: 42 }] }))]), [
      'error[image-not-pinned] dev/web (apps/web.ts) Deployment n/w spec.template.spec.containers[0].image: no image set',
    ]);
    assert.deepEqual(
      validate([checked({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' } })]),
      [],
      'no pod spec, nothing to check',
    );
    assert.deepEqual(
      validate([
        checked({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'w', namespace: 'n' },
          spec: { template: { spec: { containers: 'oops' } } },
        }),
      ]),
      [],
    );
    assert.deepEqual(
      validate([
        checked({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'w', namespace: 'n' },
          spec: { template: 'oops' },
        }),
      ]),
      [],
    );
    assert.deepEqual(
      validate([
        checked({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'w', namespace: 'n' },
          spec: { template: { spec: null } },
        }),
      ]),
      [],
    );
    assert.deepEqual(
      validate([
        checked({
          apiVersion: 'example.dev/v1',
          kind: 'Widget',
          metadata: { name: 'w', namespace: 'n' },
          spec: { containers: [{ name: 'c', image: 'x' }] },
        }),
      ]),
      [],
      'other kinds have no pod spec',
    );
  });

  test('limits: CPU and memory in production environments only, for every container', () => {
    const w = workload('Deployment', {
      initContainers: [{ name: 'init', image: IMAGE }],
      containers: [
        { name: 'web', image: IMAGE, resources: { limits: { cpu: '1' } } },
        { image: IMAGE, resources: { limits: { cpu: null, memory: '1Gi' } } },
        { name: 'ok', image: IMAGE, resources: LIMITS },
      ],
    });
    assert.deepEqual(validate([checked(w)]), [], 'not production');
    assert.deepEqual(validate([checked(w, { production: true })]), [
      'error[missing-limits] dev/web (apps/web.ts) Deployment n/w spec.template.spec.initContainers[0].resources.limits: container "init" has no cpu and memory limit; production environments require CPU and memory limits',
      'error[missing-limits] dev/web (apps/web.ts) Deployment n/w spec.template.spec.containers[0].resources.limits: container "web" has no memory limit; production environments require CPU and memory limits',
      'error[missing-limits] dev/web (apps/web.ts) Deployment n/w spec.template.spec.containers[1].resources.limits: container "?" has no cpu limit; production environments require CPU and memory limits',
    ]);
  });

  test('every problem of an object is reported, in rule order', () => {
    const w: Manifest = {
      ...workload('Deployment', { containers: [{ name: 'c', image: 'nginx' }] }),
      metadata: { name: 'Bad', namespace: 'Bad_NS' },
    };
    assert.deepEqual(
      validateObjects([checked(w, { production: true })], new ScopeResolver([])).map(
        (i: ValidationIssue) => `${i.rule} ${i.field}`,
      ),
      [
        'invalid-name metadata.name',
        'invalid-name metadata.namespace',
        'image-not-pinned spec.template.spec.containers[0].image',
        'missing-limits spec.template.spec.containers[0].resources.limits',
      ],
    );
  });

  test('issue lines: where, then the message; parts that are unknown are left out', () => {
    assert.equal(
      formatIssue({
        rule: 'app-error',
        env: 'dev',
        app: 'web',
        source: 'apps/web.ts',
        object: 'ConfigMap n/a',
        field: 'data',
        message: 'm',
      }),
      'error[app-error] dev/web (apps/web.ts) ConfigMap n/a data: m',
    );
    assert.equal(formatIssue({ rule: 'app-error', app: 'web', message: 'm' }), 'error[app-error] web: m');
    assert.equal(
      formatIssue({ rule: 'unknown-environment', env: 'qa', message: 'm' }),
      'error[unknown-environment] qa: m',
    );
    assert.equal(
      formatIssue({ rule: 'module-error', source: 'apps/x.ts', message: 'm' }),
      'error[module-error] (apps/x.ts): m',
    );
    assert.equal(formatIssue({ rule: 'module-error', message: 'm' }), 'error[module-error] : m');
  });
});
