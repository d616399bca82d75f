import { ApiObject, Include, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { Greeting } from '../../imports/examples.synthops.dev';
import { Application } from '../../src/author/application';
import { APP_LABEL, ENV_LABEL, PRUNE_ANNOTATION } from '../../src/model/keys';
import { only, renderApp } from '../harness/render';

describe('Application', () => {
  test('sets the namespace and the app/env labels on every object, escape hatches included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-include-'));
    fs.writeFileSync(
      path.join(dir, 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: "1"\n',
    );
    const objects = renderApp(
      (app) => {
        new k8s.KubeConfigMap(app, 'l1', { metadata: { name: 'l1' } });
        new kplus.Secret(app, 'l2', { metadata: { name: 'l2' } });
        new Include(app, 'plain', { url: path.join(dir, 'cm.yaml') });
        new Greeting(app, 'imported', { metadata: { name: 'imported' }, spec: { message: 'hi' } });
        const patched = new k8s.KubeServiceAccount(app, 'patched', { metadata: { name: 'patched' } });
        patched.addJsonPatch(JsonPatch.add('/metadata/labels/team', 'payments'));
      },
      { app: 'shop', env: 'staging' },
    );
    assert.equal(objects.length, 6);
    for (const o of objects) {
      assert.equal(o.metadata.labels?.[APP_LABEL], 'shop', `${o.kind} has the app label`);
      assert.equal(o.metadata.labels?.[ENV_LABEL], 'staging', `${o.kind} has the env label`);
      if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'shop', `${o.kind} is in the app namespace`);
    }
    assert.equal(only(objects, 'ServiceAccount').metadata.labels?.team, 'payments');
  });

  test('renders its Namespace, protected from pruning, unless createNamespace is false', () => {
    const ns = only(
      renderApp(() => undefined),
      'Namespace',
    );
    assert.equal(ns.metadata.name, 'shop');
    assert.equal(ns.metadata.annotations?.[PRUNE_ANNOTATION], 'disabled');
    assert.deepEqual(
      renderApp(() => undefined, { createNamespace: false }),
      [],
    );
  });

  test('takes the namespace from the environment override', () => {
    const objects = renderApp((app) => new k8s.KubeConfigMap(app, 'c', { metadata: { name: 'c' } }), {
      envProps: { apps: { shop: { namespace: 'shop-dev' } } },
    });
    assert.equal(only(objects, 'ConfigMap').metadata.namespace, 'shop-dev');
    assert.equal(only(objects, 'Namespace').metadata.name, 'shop-dev');
  });

  test('generates hash-free names from the construct path below the app', () => {
    const objects = renderApp((app) => {
      new k8s.KubeConfigMap(app, 'Settings', {});
      new kplus.Secret(app, 'db', {});
    });
    assert.deepEqual(
      objects
        .filter((o) => o.kind !== 'Namespace')
        .map((o) => o.metadata.name)
        .sort(),
      ['db', 'settings'],
    );
  });

  test('appends the cdk8s hash only when hashedNames is set', () => {
    const objects = renderApp((app) => new k8s.KubeConfigMap(app, 'settings', {}), {
      hashedNames: true,
      createNamespace: false,
    });
    assert.match(objects[0].metadata.name, /^shop-settings-[0-9a-f]{8}$/);
  });

  test('Application.of finds the app from a nested construct', () => {
    renderApp((app) => {
      const cm = new k8s.KubeConfigMap(app, 'c', {});
      assert.equal(Application.of(cm), app);
      assert.equal(Application.isApplication(ApiObject.of(cm)), false);
    });
  });
});
