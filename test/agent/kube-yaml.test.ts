/**
 * Plain manifests parse as kubectl parses them: each fixture goes through the real
 * kubectl (`apply --dry-run=server -o json`), and the JSON our parser makes of it goes
 * through the same command; the apiserver must answer the same object.
 */
import * as k8s from '@kubernetes/client-node';
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, type TestContext } from 'node:test';
import { KubeYamlError, parseKubeYamlDocuments, type JsonValue } from '../../src/model/kube-yaml';
import { ensureBinaries } from '../cluster/plane';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'kube-yaml');
const CARRIER_GROUP = 'kyaml.test.synthops.dev';

interface Kubectl {
  /** `kubectl apply --dry-run=server -o json -f <file>` in the test namespace. */
  dryRun(file: string): { ok: boolean; stdout: string; stderr: string };
  /** A fixture's text, its Carrier objects pointed at this run's CRD. */
  fixture(name: string): { file: string; text: string };
  /** Writes what our parser made of a fixture as one JSON file kubectl reads (a List of them all). */
  ours(name: string, docs: readonly JsonValue[]): string;
}

/**
 * kubectl against the test plane, a fresh namespace and a Carrier CRD of its own
 * (group made unique per run: CRDs are cluster-wide) that keeps any field, so
 * free-form values come back as the apiserver stored them.
 */
async function setUp(t: TestContext): Promise<Kubectl> {
  const ns = await testNamespace(t, 'kyaml');
  const kubeconfig = await testKubeconfig();
  const kubectl = path.join(ensureBinaries(), 'kubectl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-kyaml-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const group = `k${randomBytes(4).toString('hex')}.${CARRIER_GROUP}`;
  const ext = (await testKubeConfig()).makeApiClient(k8s.ApiextensionsV1Api);
  const name = `carriers.${group}`;
  await ext.createCustomResourceDefinition({
    body: {
      metadata: { name },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'carriers', singular: 'carrier', kind: 'Carrier' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
          },
        ],
      },
    },
  });
  t.after(() =>
    ext.deleteCustomResourceDefinition({ name }).then(
      () => undefined,
      () => undefined,
    ),
  );
  await eventually(`CRD ${name} established`, async () => {
    const crd = await ext.readCustomResourceDefinition({ name });
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
  let n = 0;
  return {
    dryRun: (file) => {
      const r = spawnSync(
        kubectl,
        [
          '--kubeconfig',
          kubeconfig,
          '--cache-dir',
          path.join(dir, 'cache'),
          '-n',
          ns,
          'apply',
          '--dry-run=server',
          '-o',
          'json',
          '-f',
          file,
        ],
        { encoding: 'utf8' },
      );
      return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.split(file).join('<file>') };
    },
    fixture: (fixture) => {
      const text = fs
        .readFileSync(path.join(FIXTURES, fixture), 'utf8')
        .split(`apiVersion: ${CARRIER_GROUP}/v1`)
        .join(`apiVersion: ${group}/v1`);
      const file = path.join(dir, `${n++}-${fixture}`);
      fs.writeFileSync(file, text);
      return { file, text };
    },
    ours: (fixture, docs) => {
      const file = path.join(dir, `${n++}-${fixture}.json`);
      // A List in a List is not for kubectl: its items join the others.
      const items = docs.flatMap((d) =>
        d !== null && typeof d === 'object' && !Array.isArray(d) && d.kind === 'List' && Array.isArray(d.items)
          ? d.items
          : [d],
      );
      fs.writeFileSync(file, JSON.stringify(items.length === 1 ? items[0] : { apiVersion: 'v1', kind: 'List', items }));
      return file;
    },
  };
}

/** The objects of a dry-run answer, without what the apiserver makes up anew each time. */
function objects(stdout: string): Record<string, unknown>[] {
  const answer = JSON.parse(stdout) as { kind: string; items?: Record<string, unknown>[] };
  const items = answer.kind === 'List' && answer.items ? answer.items : [answer as Record<string, unknown>];
  return items.map((o) => {
    const {
      uid: _u,
      creationTimestamp: _c,
      resourceVersion: _r,
      managedFields: _m,
      ...metadata
    } = o.metadata as Record<string, unknown>;
    return { ...o, metadata };
  });
}

function parsed(text: string, file: string): JsonValue[] {
  const r = parseKubeYamlDocuments(text, file);
  assert.deepEqual(r.errors, []);
  return r.documents.map((d) => d.value);
}

/** Runs a fixture through kubectl, and our parse of it through kubectl, and compares. */
function sameAsKubectl(k: Kubectl, fixture: string): Record<string, unknown>[] {
  const { file, text } = k.fixture(fixture);
  const real = k.dryRun(file);
  assert.ok(real.ok, real.stderr);
  const ours = k.dryRun(k.ours(fixture, parsed(text, fixture)));
  assert.ok(ours.ok, ours.stderr);
  // The last-applied annotation is the JSON kubectl sent: compared too.
  assert.deepEqual(objects(ours.stdout), objects(real.stdout));
  return objects(real.stdout);
}

const at = (o: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], o);

describe('kube-yaml: plain manifests parse as kubectl parses them', () => {
  test("typed fields: octal file modes (podinfo's CronJob), hex ports, yes/no bools, underscores, 1e1 and 08", async (t) => {
    const k = await setUp(t);
    const [cron] = sameAsKubectl(k, 'cronjob-modes.yaml');
    const pod = at(cron, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
    assert.deepEqual(
      [
        at(pod, 'volumes', 0, 'configMap', 'defaultMode'),
        at(pod, 'volumes', 0, 'configMap', 'items', 0, 'mode'),
        at(pod, 'volumes', 1, 'secret', 'defaultMode'),
      ],
      [0o755, 0o700, 0o644],
    );
    assert.deepEqual(
      [
        at(pod, 'terminationGracePeriodSeconds'),
        at(pod, 'containers', 0, 'ports', 0, 'containerPort'),
        at(pod, 'automountServiceAccountToken'),
      ],
      [30, 8080, false],
    );
    assert.deepEqual(
      [
        at(cron, 'spec', 'suspend'),
        at(cron, 'spec', 'successfulJobsHistoryLimit'),
        at(cron, 'spec', 'failedJobsHistoryLimit'),
        at(cron, 'spec', 'startingDeadlineSeconds'),
      ],
      [true, 3, 10, 8],
    );
    assert.deepEqual(
      [
        at(cron, 'spec', 'jobTemplate', 'spec', 'backoffLimit'),
        at(cron, 'spec', 'jobTemplate', 'spec', 'activeDeadlineSeconds'),
      ],
      [6, 1000],
    );
    assert.deepEqual(
      at(pod, 'containers', 0, 'env'),
      [
        { name: 'MODE', value: '0755' },
        { name: 'ENABLED', value: 'on' },
      ],
      'quoted stays a string',
    );
  });

  test('free-form values: ints, floats, bools, nulls, strings, tags, escapes and block scalars', async (t) => {
    const k = await setUp(t);
    const [carrier] = sameAsKubectl(k, 'carrier-scalars.yaml');
    assert.deepEqual(at(carrier, 'spec', 'ints'), [493, 493, 15, 31, 31, -31, 31, 5, 3, -5, 1000, 7, 8, 9, 7, 0, 12]);
    assert.deepEqual(at(carrier, 'spec', 'strings', 4), '1:20', 'no sexagesimal');
    assert.deepEqual(at(carrier, 'spec', 'strings', 6), '2001-12-14', 'timestamps stay text');
    assert.deepEqual(at(carrier, 'spec', 'tagged', 'badUtf8'), '\ufffd\ufffd');
  });

  test('keys become strings (on: is "true"), the last repeated key wins, << merges at its place', async (t) => {
    const k = await setUp(t);
    const [carrier] = sameAsKubectl(k, 'carrier-keys.yaml');
    assert.deepEqual(at(carrier, 'spec', 'bools'), { true: 'GitHub-Actions style', false: false });
    assert.deepEqual(Object.keys(at(carrier, 'spec', 'numbers') as object).sort(), [
      '-0',
      '.inf',
      '1.5',
      '1000',
      '1e+06',
      '1e-05',
      '3.1415927',
      '31',
      '493',
    ]);
    assert.deepEqual(at(carrier, 'spec', 'repeated'), { a: 'last', b: 'kept' });
    assert.deepEqual(at(carrier, 'spec', 'merged'), { a: 1, b: 2, c: 3 }, 'the merge overrides the a before it');
    assert.deepEqual(at(carrier, 'spec', 'mergedList'), { a: 1, d: 4 });
  });

  test('several documents: empty ones and comments are skipped, a List is expanded', async (t) => {
    const k = await setUp(t);
    const all = sameAsKubectl(k, 'multi-doc.yaml');
    assert.deepEqual(
      all.map((o) => at(o, 'metadata', 'name')),
      ['first', 'second', 'third', 'fourth'],
    );
    assert.deepEqual(at(all[1], 'data'), { true: 'off' });
    assert.equal(at(all[3], 'automountServiceAccountToken'), false);
    const { text } = k.fixture('multi-doc.yaml');
    assert.deepEqual(
      parseKubeYamlDocuments(text, 'multi-doc.yaml').documents.map((d) => [d.index, d.line]),
      [
        [0, 2],
        [3, 13],
        [4, 30],
      ],
    );
  });

  test('what the apiserver refuses, it refuses for both, with the same message', async (t) => {
    const k = await setUp(t);
    const { file, text } = k.fixture('rejected-configmap-bool.yaml');
    const real = k.dryRun(file);
    const ours = k.dryRun(k.ours('rejected-configmap-bool.yaml', parsed(text, 'rejected-configmap-bool.yaml')));
    assert.equal(real.ok, false);
    assert.match(real.stderr, /cannot unmarshal bool into Go struct field ConfigMap\.data of type string/);
    assert.deepEqual([ours.ok, ours.stderr], [real.ok, real.stderr]);
  });

  test('what kubectl cannot send (.inf) is an error; an int64 a JavaScript number cannot hold is refused, not rounded', async (t) => {
    const k = await setUp(t);
    const inf = k.fixture('rejected-inf.yaml');
    const real = k.dryRun(inf.file);
    assert.equal(real.ok, false);
    assert.match(real.stderr, /json: unsupported value: \+Inf/);
    const infErrors = parseKubeYamlDocuments(inf.text, 'rejected-inf.yaml').errors;
    assert.deepEqual(
      infErrors.map((e) => [e.code, e.document, e.line, e.column]),
      [['number', 0, 7, 10]],
    );
    assert.ok(infErrors[0] instanceof KubeYamlError);

    const big = k.fixture('rejected-bigint.yaml');
    const exact = k.dryRun(big.file);
    assert.ok(exact.ok, exact.stderr);
    assert.match(exact.stdout, /"id": 9007199254740993\b/, 'kubectl and the apiserver keep it exact');
    assert.match(exact.stdout, /"id": 4611686018427387904\b/);
    assert.deepEqual(
      parseKubeYamlDocuments(big.text, 'rejected-bigint.yaml').errors.map((e) => [
        e.code,
        e.document,
        e.line,
        e.column,
      ]),
      [
        ['number', 0, 8, 7],
        ['number', 1, 15, 7],
      ],
    );
  });
});
