/** `synthops diff` against the deploy branch never prints a Secret's values: it masks them and says which side changed. */
import * as fs from 'fs';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { Manifest } from '../../src/model/manifest';
import { diffOutputs, formatDiff } from '../../src/publish/diff';
import { configMap, synthopsTree } from '../harness/agent';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function output(t: TestContext, apps: Record<string, Manifest[]>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-dist-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [file, text] of Object.entries(synthopsTree('dev', apps))) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function secret(name: string, data: Record<string, string>, stringData: Record<string, string> = {}): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'shop', annotations: { note: `copy of ${Object.values(stringData).join(',')}` } },
    data,
    stringData,
  };
}

describe('diff of synth output: Secret values masked', () => {
  test('changed, added and removed Secrets show keys and markers, never values; other kinds are shown as they are', (t) => {
    const before = output(t, {
      shop: [
        secret('changed', { password: b64('old-password-4040'), user: b64('same-user-5050') }),
        secret('removed', { k: b64('removed-value-6060') }),
        configMap('c', 'shop', { k: 'visible-before' }),
      ],
    });
    const after = output(t, {
      shop: [
        secret(
          'changed',
          { password: b64('new-password-7070'), user: b64('same-user-5050') },
          { token: 'token-plain-8080' },
        ),
        secret('added', { k: b64('added-value-9090') }),
        configMap('c', 'shop', { k: 'visible-after' }),
      ],
    });
    const text = formatDiff(diffOutputs(before, after), false).join('\n');
    assert.match(text, /~ Secret shop\/changed \(changed\)/);
    assert.match(text, /^\s+-\s+password: "?\[redacted: before\]"?$/m);
    assert.match(text, /^\s+\+\s+password: "?\[redacted: after\]"?$/m);
    assert.match(text, /^\s+\+\s+token: "?\[redacted\]"?$/m);
    assert.match(text, /\+ Secret shop\/added \(added\)/);
    assert.match(text, /- Secret shop\/removed \(removed\)/);
    assert.match(text, /^\s+-\s+k: visible-before$/m, 'a ConfigMap is shown as it is');
    for (const [i, v] of [
      'old-password-4040',
      'new-password-7070',
      'same-user-5050',
      'removed-value-6060',
      'added-value-9090',
      'token-plain-8080',
    ]
      .flatMap((s) => [s, b64(s)])
      .entries()) {
      assert.equal(text.includes(v), false, `secret value #${i} in the diff`);
    }
  });
});
