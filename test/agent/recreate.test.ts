/** A changed immutable field (a Job's spec.template) against the real apiserver: refused with the way out, or recreated when the object asks for it. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FORCE_ANNOTATION } from '../../src/model/keys';
import { Manifest, refOf } from '../../src/model/manifest';
import { configMap, runOnce, synthopsTree, testObjects } from '../harness/agent';
import { testNamespace } from '../harness/cluster';
import { TestRemote } from '../harness/git';

function job(ns: string, image: string, o: { force?: boolean; restartPolicy?: string } = {}): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'migrate',
      namespace: ns,
      ...(o.force ? { annotations: { [FORCE_ANNOTATION]: 'enabled' } } : {}),
    },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: o.restartPolicy ?? 'Never', containers: [{ name: 'm', image }] } },
    },
  };
}

describe('agent: immutable fields', () => {
  test('a changed Job template is refused in one line naming the fields and synthops.dev/force; nothing is written', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const run = () => runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, waitForHealth: false });
    remote.publish('deploy', synthopsTree('dev', { db: [job(ns, 'registry.example.com/migrate:1')] }));
    assert.equal((await run()).result.converged, true);
    const objects = await testObjects(t);
    const uid = (await objects.get(refOf(job(ns, ''))))?.metadata.uid;

    remote.publish('deploy', synthopsTree('dev', { db: [job(ns, 'registry.example.com/migrate:2')] }));
    const r = (await run()).result.apps[0];
    assert.equal(r.status, 'Failed');
    assert.equal(r.stalled, true, 'the same revision fails the same way');
    assert.deepEqual(
      r.problems.map((p) => p.kind),
      ['validation'],
    );
    assert.equal(
      r.errors[0],
      `validation failed, nothing of this app was written: Job ${ns}/migrate (dev/db/job-migrate.yaml#0): spec.template is immutable and changed: the apiserver refuses to change it in place (HTTP 422 Invalid). To have synthops delete and recreate the object, annotate it synthops.dev/force: enabled`,
    );
    const live = await objects.get(refOf(job(ns, '')));
    assert.equal(live?.metadata.uid, uid, 'not recreated without the annotation');
  });

  test('with synthops.dev/force: enabled the Job is deleted (foreground) and created again, recorded in the change set', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    const run = () => runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, waitForHealth: false });
    remote.publish('deploy', synthopsTree('dev', { db: [job(ns, 'registry.example.com/migrate:1', { force: true })] }));
    assert.equal((await run()).result.converged, true);
    const objects = await testObjects(t);
    const ref = refOf(job(ns, ''));
    const before = await objects.get(ref);

    // A new template that could not be created is refused before anything is deleted.
    remote.publish(
      'deploy',
      synthopsTree('dev', {
        db: [job(ns, 'registry.example.com/migrate:2', { force: true, restartPolicy: 'Always' })],
      }),
    );
    const invalid = (await run()).result.apps[0];
    assert.equal(invalid.status, 'Failed');
    assert.match(
      invalid.errors[0],
      /Job\.batch "migrate" is invalid: spec\.template\.spec\.restartPolicy: Required value: valid values: "OnFailure", "Never" \(HTTP 422 Invalid\)$/,
    );
    assert.equal(
      (await objects.get(ref))?.metadata.uid,
      before?.metadata.uid,
      'an invalid replacement deletes nothing',
    );

    // With a ConfigMap changing too, the Job is judged by dry-run (the ConfigMap's write goes first).
    remote.publish(
      'deploy',
      synthopsTree('dev', {
        db: [configMap('settings', ns, { v: '2' }), job(ns, 'registry.example.com/migrate:2', { force: true })],
      }),
    );
    const r = (await run()).result;
    assert.equal(r.converged, true, JSON.stringify(r.apps[0].errors));
    const app = r.apps[0];
    assert.deepEqual(
      app.entries.filter((e) => e.recreated).map((e) => e.ref.name),
      ['migrate'],
    );
    assert.deepEqual(app.configured, [`Job ${ns}/migrate (deleted and recreated: immutable fields changed)`]);
    assert.deepEqual(app.created, [`ConfigMap ${ns}/settings`]);
    const after = await objects.get(ref);
    assert.notEqual(after?.metadata.uid, before?.metadata.uid, 'a new object');
    const spec = after?.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    assert.equal(spec.template.spec.containers[0].image, 'registry.example.com/migrate:2');

    const again = (await run()).result.apps[0];
    assert.deepEqual([again.configured, again.unchanged.length], [[], 2], 'in sync afterwards: no second recreation');

    // The Job alone changing: its own write is its validation, and the recreation follows it.
    remote.publish(
      'deploy',
      synthopsTree('dev', {
        db: [configMap('settings', ns, { v: '2' }), job(ns, 'registry.example.com/migrate:3', { force: true })],
      }),
    );
    const third = (await run()).result;
    assert.equal(third.converged, true, JSON.stringify(third.apps[0].errors));
    assert.deepEqual(
      third.apps[0].entries.filter((e) => e.recreated).map((e) => e.ref.name),
      ['migrate'],
    );
    assert.notEqual((await objects.get(ref))?.metadata.uid, after?.metadata.uid);
  });
});
