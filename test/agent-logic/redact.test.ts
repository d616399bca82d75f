/** Redaction of Secret values in messages (pure): every form a value takes, the apiserver's shapes, diffs. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'util';
import { ChangeSet, formatProblem } from '../../src/agent/apply/change-set';
import { createLogger, redactInLogs } from '../../src/agent/controller/log';
import { KubeApiError, isNotFound } from '../../src/kube/errors';
import { Manifest } from '../../src/model/manifest';
import {
  MIN_FRAGMENT_LENGTH,
  MIN_VALUE_LENGTH,
  REDACTED,
  Redactor,
  isSecret,
  maskSecretPair,
  redactError,
  redactSecretPatterns,
  secretForms,
} from '../../src/model/redact';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(fields: Record<string, unknown>, name = 'creds'): Manifest {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, ...fields };
}

describe('redaction of Secret values', () => {
  test('only core Secrets hold values', () => {
    assert.equal(isSecret({ apiVersion: 'v1', kind: 'Secret' }), true);
    assert.equal(isSecret({ apiVersion: 'example.com/v1', kind: 'Secret' }), false);
    assert.deepEqual(
      secretForms({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c' },
        data: { k: 'value-of-a-configmap' },
      }),
      [],
    );
    assert.equal(
      Redactor.of([
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'value-of-a-configmap' } },
      ]).empty,
      true,
    );
  });

  test('stringData strings, numbers and booleans, in the forms messages print them', () => {
    const r = Redactor.of([
      secret({
        stringData: {
          password: 'hunter2-plain',
          pin: 84736251,
          ratio: 1234567.5,
          big: 1.2345678901234567e19,
          tiny: 0.00001,
          flag: false,
        },
      }),
    ]);
    for (const shown of [
      'hunter2-plain',
      b64('hunter2-plain'),
      b64('hunter2-plain').replace(/=+$/, ''),
      '84736251',
      '1.2345675e+06',
      '1234567.5',
      '1.2345678901234567e+19',
      '1e-05',
      'false',
    ]) {
      assert.equal(r.redact(`before ${shown} after`), `before ${REDACTED} after`, shown);
    }
  });

  test('data values, their decoded text and its other forms; nested (invalid) values too', () => {
    const r = Redactor.of([
      secret({
        data: {
          password: b64('s3cr3t-decoded'),
          token: { nested: b64('nested-secret-value') },
          list: [b64('listed-secret')],
        },
      }),
    ]);
    for (const shown of [
      b64('s3cr3t-decoded'),
      's3cr3t-decoded',
      b64('nested-secret-value'),
      'nested-secret-value',
      b64('listed-secret'),
      'listed-secret',
    ]) {
      assert.equal(r.redact(`x=${shown}.`), `x=${REDACTED}.`, shown);
    }
  });

  test('a data value that is not strict base64 is redacted as it is (and not decoded into noise)', () => {
    const forms = secretForms(secret({ data: { password: 'not base64!!' } }));
    assert.ok(forms.includes('not base64!!'));
    assert.equal(
      Redactor.of([secret({ data: { password: 'not base64!!' } })]).redact('got not base64!! here'),
      `got ${REDACTED} here`,
    );
  });

  test('escaped and quoted forms: JSON, Go (HTML-safe JSON), JSON inside JSON', () => {
    const value = 'line1\nsays "hi" <b>&';
    const r = Redactor.of([secret({ stringData: { v: value } })]);
    const json = JSON.stringify(value).slice(1, -1);
    const goJson = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
    for (const shown of [value, json, goJson, JSON.stringify(json).slice(1, -1), `"${json}"`]) {
      assert.doesNotMatch(r.redact(`m: ${shown}`), /says|line1/, shown);
    }
  });

  test(`values shorter than ${MIN_VALUE_LENGTH} characters are left alone, so messages stay readable`, () => {
    const r = Redactor.of([secret({ stringData: { replicas: '1', env: 'on', code: 'abc', pin: '1234' } })]);
    assert.equal(r.redact('1 object is on abc, pin 1234'), `1 object is on abc, pin ${REDACTED}`);
  });

  test(`fragments of ${MIN_FRAGMENT_LENGTH}+ characters of a long value are redacted (truncated messages)`, () => {
    const token = 'tok-0123456789abcdefghijklmnopqrstuvwxyz';
    const r = Redactor.of([secret({ stringData: { token } })]);
    assert.equal(r.redact(`denied: ${token.slice(0, 20)}... (truncated)`), `denied: ${REDACTED}... (truncated)`);
    assert.equal(r.redact(`tail ${token.slice(-MIN_FRAGMENT_LENGTH)}`), `tail ${REDACTED}`);
    assert.equal(
      r.redact(`short ${token.slice(0, MIN_FRAGMENT_LENGTH - 1)}`),
      `short ${token.slice(0, MIN_FRAGMENT_LENGTH - 1)}`,
      'shorter fragments are ordinary text',
    );
  });

  test('overlapping and repeated values become one marker each place', () => {
    const r = Redactor.of([secret({ stringData: { a: 'abcdef', b: 'defghi' } })]);
    assert.equal(r.redact('abcdefghi and abcdef'), `${REDACTED} and ${REDACTED}`);
  });

  test('with(): live Secrets add their values; no Secret, same redactor', () => {
    const desired = Redactor.of([secret({ stringData: { p: 'new-value-1' } })]);
    assert.equal(desired.with([undefined]), desired);
    const both = desired.with([secret({ data: { p: b64('old-value-0') } })]);
    assert.equal(both.redact('old-value-0 -> new-value-1'), `${REDACTED} -> ${REDACTED}`);
  });

  test('the apiserver shapes of a value in a message about a Secret, without knowing the value', () => {
    const typed =
      'failed to create typed patch object (ns/s; /v1, Kind=Secret): errors:\n  .stringData.pin: expected string, got &value.valueUnstructured{Value:84736251}\n  .data.password: expected string, got &value.valueUnstructured{Value:map[string]interface {}{"nested":"c2VjcmV0"}}';
    assert.equal(
      redactSecretPatterns(typed),
      `failed to create typed patch object (ns/s; /v1, Kind=Secret): errors:\n  .stringData.pin: expected string, got &value.valueUnstructured{Value:${REDACTED}}\n  .data.password: expected string, got &value.valueUnstructured{Value:${REDACTED}}`,
    );
    assert.equal(
      redactSecretPatterns(
        'Secret "s" is invalid: data[k]: Invalid value: "se\\"cret": bad, [x: Invalid value: 1234: no, y: Unsupported value: map[a:b]: no]',
      ),
      `Secret "s" is invalid: data[k]: Invalid value: "${REDACTED}": bad, [x: Invalid value: ${REDACTED}: no, y: Unsupported value: ${REDACTED}: no]`,
    );
    assert.equal(redactSecretPatterns('Invalid value: []byte{0x73, 0x65}: x'), `Invalid value: ${REDACTED}: x`);
    assert.equal(redactSecretPatterns('Invalid value: "": empty stays empty'), 'Invalid value: "": empty stays empty');
    assert.equal(
      redactSecretPatterns(`Invalid value: "${REDACTED}": once`),
      `Invalid value: "${REDACTED}": once`,
      'no double marker',
    );
    // Only for Secrets: a ConfigMap's invalid value is worth showing.
    const r = Redactor.none;
    assert.equal(
      r.redactAbout({ apiVersion: 'v1', kind: 'ConfigMap' }, 'Invalid value: "x y"'),
      'Invalid value: "x y"',
    );
    assert.equal(
      r.redactAbout({ apiVersion: 'v1', kind: 'Secret' }, 'Invalid value: "x y"'),
      `Invalid value: "${REDACTED}"`,
    );
  });

  test('errors: the copy keeps class, typed fields and decisions; message, stack and cause are redacted', () => {
    const inner = new Error('inner says hunter2-plain');
    const e = new KubeApiError(404, 'NotFound', 'not found: hunter2-plain');
    (e as Error & { cause?: unknown }).cause = inner;
    const r = Redactor.of([secret({ stringData: { p: 'hunter2-plain' } })]);
    const copy = redactError(e, (s) => r.redact(s));
    assert.ok(copy instanceof KubeApiError);
    assert.equal(isNotFound(copy), true);
    assert.deepEqual([copy.status, copy.reason, copy.message], [404, 'NotFound', `not found: ${REDACTED}`]);
    assert.doesNotMatch(inspect(copy, { depth: 5 }), /hunter2/);
    assert.equal(JSON.stringify(copy), JSON.stringify(e), 'the same enumerable fields');
    assert.equal(
      redactError('text hunter2-plain', (s) => r.redact(s)),
      `text ${REDACTED}`,
    );
    assert.equal(
      redactError(42, (s) => r.redact(s)),
      42,
    );
  });

  test('the change set redacts a problem where it is recorded: message and cause', () => {
    const c = new ChangeSet('shop', 'dev', [secret({ stringData: { pin: 84736251 } })]);
    const cause = new KubeApiError(
      500,
      'Unknown',
      '.stringData.pin: expected string, got &value.valueUnstructured{Value:84736251}',
    );
    c.fail({
      kind: 'validation',
      ref: { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'creds' },
      message: cause.message,
      cause,
    });
    c.knowSecrets([secret({ data: { old: b64('old-live-value') } })]);
    c.fail({ kind: 'apply', message: 'old-live-value was here', cause: 'old-live-value' });
    assert.doesNotMatch(inspect(c.problems, { depth: 5 }), /84736251|old-live-value/);
    assert.ok(c.problems[0].cause instanceof KubeApiError);
    assert.equal(
      formatProblem(c.problems[0]),
      `validation failed, nothing of this app was written: Secret shop/creds: .stringData.pin: expected string, got &value.valueUnstructured{Value:${REDACTED}}`,
    );
  });

  test('diffs: keys stay, equal values show as [redacted], changed ones say which side', () => {
    const before = secret({ data: { same: b64('same-value'), changed: b64('old-value'), gone: b64('gone-value') } });
    const after = secret({
      data: { same: b64('same-value'), changed: b64('new-value'), added: b64('added-value') },
      stringData: { plain: 'plain-value' },
    });
    const [b, a] = maskSecretPair(before, after);
    assert.deepEqual(b!.data, { same: REDACTED, changed: '[redacted: before]', gone: REDACTED });
    assert.deepEqual(a!.data, { same: REDACTED, changed: '[redacted: after]', added: REDACTED });
    assert.deepEqual(a!.stringData, { plain: REDACTED });
    assert.deepEqual(maskSecretPair(undefined, after)[1]!.data, { same: REDACTED, changed: REDACTED, added: REDACTED });
    const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
    assert.equal(maskSecretPair(cm, cm)[0], cm, 'other kinds untouched');
  });

  test("the agent's logger: secret-looking keys always, the revision's Secret values anywhere in a call", () => {
    const lines: string[] = [];
    const log = createLogger('debug', {
      write: (l: string) => {
        lines.push(l);
      },
    });
    log.info(
      { password: 'pw-not-in-git', auth: { token: 'tk-not-in-git' }, object: { stringData: { a: 'sd-not-in-git' } } },
      'paths',
    );
    redactInLogs(log, [secret({ stringData: { p: 'value-in-git-1' } })]);
    log.error({ err: new KubeApiError(422, 'Invalid', 'refused value-in-git-1') }, 'msg %s', 'arg value-in-git-1');
    log.error(new Error('thrown value-in-git-1'));
    log.child({ app: 'shop' }).info({ deep: { list: [`b64 ${b64('value-in-git-1')}`] } }, 'child value-in-git-1');
    redactInLogs(log, [secret({ stringData: { p: 'value-in-git-2' } })]);
    log.info('previous revision value-in-git-1, current value-in-git-2');
    const text = lines.join('');
    for (const v of [
      'pw-not-in-git',
      'tk-not-in-git',
      'sd-not-in-git',
      'value-in-git-1',
      b64('value-in-git-1'),
      'value-in-git-2',
    ])
      assert.equal(text.includes(v), false, v);
    assert.equal(lines.length, 5);
    assert.match(lines[1], /"status":422/, 'typed fields of errors are kept');
  });
});
