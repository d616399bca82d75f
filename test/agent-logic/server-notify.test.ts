import { createHmac } from 'crypto';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../src/agent/controller/log';
import { Notifier } from '../../src/agent/controller/notify';
import { verifySignature } from '../../src/agent/controller/server';
import { fingerprint } from '../../src/agent/controller/watch';
import { Manifest } from '../../src/model/manifest';
import { startReceiver } from '../harness/receiver';

describe('webhook signatures', () => {
  test('accepts exactly the HMAC-SHA256 of the body with the secret', () => {
    const body = Buffer.from('{"ref":"refs/heads/deploy"}');
    const good = `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`;
    assert.equal(verifySignature('s3cret', body, good), true);
    assert.equal(verifySignature('other', body, good), false);
    assert.equal(verifySignature('s3cret', Buffer.from('tampered'), good), false);
    assert.equal(verifySignature('s3cret', body, undefined), false);
    assert.equal(verifySignature('s3cret', body, good.replace('sha256=', 'sha1=')), false);
    assert.equal(verifySignature('s3cret', body, 'sha256=abc'), false);
  });
});

describe('notifications', () => {
  test('JSON and Slack payloads; failed deliveries are retried', async (t) => {
    const json = await startReceiver(t, 2);
    const n = new Notifier(json.url, 'json', silentLogger(), 10);
    n.send({ kind: 'PruneHeld', app: 'shop', env: 'prod', revision: 'a'.repeat(40), message: 'held' });
    await n.flush();
    assert.equal(json.attempts(), 3);
    assert.deepEqual(
      { ...json.received[0], time: undefined },
      {
        source: 'synthops',
        kind: 'PruneHeld',
        app: 'shop',
        env: 'prod',
        revision: 'a'.repeat(40),
        message: 'held',
        time: undefined,
      },
    );

    const slack = await startReceiver(t);
    const s = new Notifier(slack.url, 'slack', silentLogger(), 10);
    s.send({
      kind: 'DriftRepaired',
      app: 'shop',
      env: 'prod',
      revision: 'b'.repeat(40),
      message: 'restored ConfigMap x',
    });
    await s.flush();
    assert.deepEqual(slack.received, [
      { text: `synthops DriftRepaired (app shop, env prod, revision ${'b'.repeat(12)}): restored ConfigMap x` },
    ]);
  });

  test('a receiver that never answers well is given up on, without throwing', async (t) => {
    const down = await startReceiver(t, 100);
    const n = new Notifier(down.url, 'json', silentLogger(), 1);
    n.send({ kind: 'ReconcileFailed', message: 'x' });
    await n.flush();
    assert.equal(down.attempts(), 4);
  });
});

describe('drift fingerprints', () => {
  test('ignore status and server bookkeeping, see everything else', () => {
    const base: Manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a', namespace: 'n', resourceVersion: '1', managedFields: [] },
      data: { k: 'v' },
    };
    const f = fingerprint(base);
    assert.equal(
      fingerprint({ ...base, metadata: { ...base.metadata, resourceVersion: '9', generation: 3 }, status: { x: 1 } }),
      f,
    );
    assert.notEqual(fingerprint({ ...base, data: { k: 'w' } }), f);
    assert.notEqual(fingerprint({ ...base, metadata: { ...base.metadata, labels: { a: 'b' } } }), f);
    assert.equal(
      fingerprint({ data: { k: 'v' }, kind: 'ConfigMap', apiVersion: 'v1', metadata: { namespace: 'n', name: 'a' } }),
      f,
      'key order does not matter',
    );
  });
});

describe('status history', () => {
  test('keeps five entries; a repeat of the last revision and result replaces it', async () => {
    const { pushHistory } = await import('../../src/agent/reconcile/appsync-status');
    const e = (revision: string, result: string, startTime = 't') => ({
      revision,
      result,
      startTime,
      durationSeconds: 1,
      message: '',
    });
    let h = pushHistory(undefined, e('a', 'applied'));
    h = pushHistory(h, e('a', 'applied', 't2'));
    assert.deepEqual(
      h.map((x) => `${x.revision}:${x.startTime}`),
      ['a:t2'],
    );
    for (const r of ['b', 'c', 'd', 'e', 'f']) h = pushHistory(h, e(r, 'applied'));
    assert.deepEqual(
      h.map((x) => x.revision),
      ['b', 'c', 'd', 'e', 'f'],
    );
    h = pushHistory(h, e('f', 'failed'));
    assert.deepEqual(h.map((x) => `${x.revision}:${x.result}`).slice(-2), ['f:applied', 'f:failed']);
  });
});
