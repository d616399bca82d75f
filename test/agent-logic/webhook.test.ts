/** POST /webhook of the agent's HTTP server, over loopback: only a valid signature triggers a reconcile. */
import { createHmac } from 'crypto';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createLogger } from '../../src/agent/controller/log';
import { AgentMetrics } from '../../src/agent/controller/metrics';
import { AgentServer } from '../../src/agent/controller/server';

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A server on loopback with `secret`; counts the reconciles it asked for and keeps its log lines. */
async function serve(
  t: TestContext,
  secret: string | undefined,
): Promise<{ url: string; hooks: () => number; logs: Array<Record<string, unknown>> }> {
  let hooks = 0;
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('debug', {
    write: (line: string) => {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  const server = new AgentServer(
    new AgentMetrics(false),
    {
      ready: async () => ({ ok: true, reason: 'test' }),
      onWebhook: () => {
        hooks++;
      },
    },
    secret,
    log,
  );
  const port = await server.listen(0, '127.0.0.1');
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${port}/webhook`, hooks: () => hooks, logs };
}

describe('webhook endpoint', () => {
  // '' is what an empty --webhook-secret-file gives.
  for (const secret of [undefined, '']) {
    test(`without a configured secret (${JSON.stringify(secret)}) every webhook is refused (401), however it is signed, and nothing is triggered`, async (t) => {
      const s = await serve(t, secret);
      const body = '{"ref":"refs/heads/deploy"}';
      // Signed with an empty key is what a server treating "no secret" as "" would accept.
      for (const signature of [undefined, sign('', body), sign('anything', body), 'sha256=', '']) {
        const r = await fetch(s.url, {
          method: 'POST',
          body,
          headers: signature === undefined ? {} : { 'X-Hub-Signature-256': signature },
        });
        assert.equal(r.status, 401, `signature ${JSON.stringify(signature)}`);
        await r.text();
      }
      assert.equal(s.hooks(), 0, 'no reconcile requested');
      assert.equal(s.logs.filter((l) => l.msg === 'webhook accepted').length, 0);
    });
  }

  test('with a secret: a valid signature is accepted (202) and triggers one reconcile; others are refused', async (t) => {
    const s = await serve(t, 'hook-secret');
    const body = '{"ref":"refs/heads/deploy"}';
    for (const signature of [undefined, sign('', body), sign('other', body), sign('hook-secret', `${body} `)]) {
      const r = await fetch(s.url, {
        method: 'POST',
        body,
        headers: signature === undefined ? {} : { 'X-Hub-Signature-256': signature },
      });
      assert.equal(r.status, 401);
      await r.text();
    }
    assert.equal(s.hooks(), 0);
    const ok = await fetch(s.url, {
      method: 'POST',
      body,
      headers: { 'X-Hub-Signature-256': sign('hook-secret', body) },
    });
    assert.equal(ok.status, 202);
    await ok.text();
    assert.equal(s.hooks(), 1);
    const get = await fetch(s.url);
    assert.equal(get.status, 405, 'only POST');
    await get.text();
    assert.equal(s.hooks(), 1);
  });
});
