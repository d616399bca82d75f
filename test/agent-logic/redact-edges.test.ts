/**
 * Edges of Secret redaction (pure, imports only the module): the boundaries of short
 * and fragment matching, the shapes of escaped values, the ends of the apiserver's
 * value shapes, errors holding plain data and other errors, and diffs of malformed
 * Secrets. Each case: a value in any of its forms never shows, other text stays.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'util';
import { Manifest } from '../../src/model/manifest';
import {
  MIN_FRAGMENT_LENGTH,
  REDACTED,
  Redactor,
  maskSecretPair,
  redactError,
  redactSecretPatterns,
} from '../../src/model/redact';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(fields: Record<string, unknown>, name = 'creds'): Manifest {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'shop' }, ...fields };
}

const redactorOf = (stringData: Record<string, unknown>) => Redactor.of([secret({ stringData })]);

describe('redaction edges: forms of a value', () => {
  test('the marker says a value was there', () => {
    assert.equal(REDACTED, '[redacted]');
    assert.equal(redactorOf({ p: 'hunter2-plain' }).redact('pw hunter2-plain.'), 'pw [redacted].');
    assert.equal(redactSecretPatterns('Invalid value: "x y": bad'), 'Invalid value: "[redacted]": bad');
  });

  test('unpadded base64 of short values (a padded form of at most 12 characters) is found whole', () => {
    // 4, 5 and 7 characters: padded base64 of 8, 8 and 12 characters, with `==`, `=` and `==`.
    for (const value of ['abcd', 'abcde', 'abcdefg']) {
      const unpadded = b64(value).replace(/=+$/, '');
      assert.notEqual(unpadded, b64(value));
      assert.equal(redactorOf({ v: value }).redact(`token ${unpadded}.sig`), `token ${REDACTED}.sig`, value);
    }
  });

  test('a short value escaped in JSON, in Go HTML-safe JSON and in JSON inside JSON', () => {
    const r = redactorOf({ q: 'ab"cd', h: '<a&b>' });
    assert.equal(r.redact(JSON.stringify({ password: 'ab"cd' })), JSON.stringify({ password: REDACTED }));
    assert.equal(
      r.redact(JSON.stringify({ body: JSON.stringify({ password: 'ab"cd' }) })),
      JSON.stringify({ body: JSON.stringify({ password: REDACTED }) }),
    );
    const goJson = JSON.stringify({ v: '<a&b>' })
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026');
    assert.equal(goJson, '{"v":"\\u003ca\\u0026b\\u003e"}');
    assert.equal(r.redact(goJson), `{"v":"${REDACTED}"}`);
  });

  test('numbers that are not finite, null and missing values add nothing; bigints are redacted', () => {
    const r = redactorOf({ n: Number.NaN, i: Number.POSITIVE_INFINITY, z: null, v: 'real-value' });
    assert.equal(r.redact('NaN Infinity null undefined real-value'), `NaN Infinity null undefined ${REDACTED}`);
    assert.equal(Redactor.of([secret({}), secret({ stringData: { a: null }, data: { b: null } })]).empty, true);
    assert.equal(Redactor.none.with([secret({})]), Redactor.none, 'a Secret without values: the same redactor');
    assert.equal(redactorOf({ n: 12345678901234567890n }).redact('n=12345678901234567890'), `n=${REDACTED}`);
  });

  test('a data value that is not strict base64 is not decoded, so its lenient decoding is ordinary text', () => {
    // Unpadded base64 of "hello world": the apiserver refuses it, it never becomes that text.
    const r = Redactor.of([secret({ data: { k: 'aGVsbG8gd29ybGQ' } })]);
    assert.equal(r.redact('say hello world'), 'say hello world');
    assert.equal(r.redact('got aGVsbG8gd29ybGQ'), `got ${REDACTED}`);
  });
});

describe('redaction edges: fragments and where they are', () => {
  const token = 'tok-0123456789abcdefghijklmnopqrstuvwxyz';

  test('a value at the very start or end of a message, or the whole of it', () => {
    const r = redactorOf({ token, pin: '1234' });
    assert.equal(r.redact(token), REDACTED);
    assert.equal(r.redact(`${token.slice(0, 20)} rest`), `${REDACTED} rest`);
    assert.equal(r.redact(`head ${token.slice(-20)}`), `head ${REDACTED}`);
    assert.equal(r.redact('1234'), REDACTED, 'a message exactly as long as the shortest value');
  });

  test(`the last ${MIN_FRAGMENT_LENGTH} characters of a value one longer are redacted; ${MIN_FRAGMENT_LENGTH - 1} are not`, () => {
    const value = 'abcdefghijklm';
    assert.equal(value.length, MIN_FRAGMENT_LENGTH + 1);
    const r = redactorOf({ value });
    assert.equal(r.redact(`x ${value.slice(1)} y`), `x ${REDACTED} y`);
    assert.equal(r.redact(`x ${value.slice(0, -1)} y`), `x ${REDACTED} y`);
    const tail = token.slice(-(MIN_FRAGMENT_LENGTH - 1));
    const t = redactorOf({ token });
    assert.equal(t.redact(`tail ${tail}`), `tail ${tail}`, 'a shorter tail, at the end of the message');
    assert.equal(t.redact(`tail ${tail} more`), `tail ${tail} more`);
  });

  test('values sharing a prefix: a fragment of each is redacted', () => {
    const r = redactorOf({ a: 'sk_live_0000aaaa1111', b: 'sk_live_9999bbbb2222' });
    assert.equal(r.redact('key sk_live_0000 (cut)'), `key ${REDACTED} (cut)`);
    assert.equal(r.redact('key sk_live_9999 (cut)'), `key ${REDACTED} (cut)`);
    assert.equal(r.redact('key sk_live_ (cut)'), 'key sk_live_ (cut)', 'the shared prefix alone is too short');
  });

  test('adjacent values, and a value inside a fragment of another, become one marker', () => {
    assert.equal(redactorOf({ a: 'abcd', b: 'efgh' }).redact('abcdefgh!'), `${REDACTED}!`);
    // `bcde` is found first; the fragment of the longer value, found later, starts before it.
    const r = redactorOf({ short: 'bcde', long: 'Xabcdefghijklmnopqrst' });
    assert.equal(r.redact('abcdefghijklmnopqrst'), REDACTED);
    assert.equal(r.redact('see abcdefghijklmnopqrst.'), `see ${REDACTED}.`);
  });
});

describe('redaction edges: the apiserver shapes of a value', () => {
  test('an unquoted value ends at a comma, a line end or a closing bracket of the list', () => {
    assert.equal(
      redactSecretPatterns('Secret "s" is invalid: [data.a: Not found: 1234, data.b: Not found: 5678] (2 errors)'),
      `Secret "s" is invalid: [data.a: Not found: ${REDACTED}, data.b: Not found: ${REDACTED}] (2 errors)`,
    );
    assert.equal(
      redactSecretPatterns('data.a: Invalid value: 1234\nnext line stays'),
      `data.a: Invalid value: ${REDACTED}\nnext line stays`,
    );
  });

  test('an unquoted value runs to the next ": ", over colons and spaces it holds', () => {
    assert.equal(
      redactSecretPatterns('data.t: Invalid value: 10:30 or 11:45: not a time'),
      `data.t: Invalid value: ${REDACTED}: not a time`,
    );
  });

  test('a quoted value ends at its closing quote: the text after it stays', () => {
    assert.equal(redactSecretPatterns('Not found: "abc" in the list'), `Not found: "${REDACTED}" in the list`);
  });

  test('quotes inside a printed value hide its brackets, commas and colons', () => {
    assert.equal(
      redactSecretPatterns('got &value.valueUnstructured{Value:map[string]interface {}{"k":"}}leak-me, a: b"}}'),
      `got &value.valueUnstructured{Value:${REDACTED}}`,
    );
  });

  test('a byte slice is redacted whole; empty values get no marker', () => {
    assert.equal(redactSecretPatterns('got []byte{0x73, 0x65, 0x63} here'), `got []byte{${REDACTED}} here`);
    assert.equal(redactSecretPatterns('got []uint8{0x73, 0x65}'), `got []uint8{${REDACTED}}`);
    assert.equal(redactSecretPatterns('got []byte{} here'), 'got []byte{} here');
    assert.equal(redactSecretPatterns('data.k: Not found: '), 'data.k: Not found: ');
    assert.equal(redactSecretPatterns('data.k: Not found: , data.j: x'), 'data.k: Not found: , data.j: x');
  });

  test('a shape after another one in the message: both are redacted', () => {
    assert.equal(
      redactSecretPatterns(
        '.data.a: expected string, got &value.valueUnstructured{Value:84736251}; data.b: Invalid value: 5678: bad',
      ),
      `.data.a: expected string, got &value.valueUnstructured{Value:${REDACTED}}; data.b: Invalid value: ${REDACTED}: bad`,
    );
  });
});

describe('redaction edges: errors', () => {
  const r = redactorOf({ p: 'hunter2-plain' });
  const fix = (s: string) => r.redact(s);

  test('an error that is its own cause, or holds itself, is copied as a cycle, redacted, without overflowing', () => {
    const e = new Error('failed with hunter2-plain') as Error & { cause?: unknown };
    e.cause = e;
    const copy = redactError(e, fix) as Error & { cause?: unknown };
    assert.equal(copy.message, 'failed with [redacted]');
    assert.equal(copy.cause, copy, 'the cycle points at the copy');
    assert.notEqual(copy, e);

    const data: Record<string, unknown> = { note: 'hunter2-plain' };
    data.self = data;
    const agg = new AggregateError([], 'several');
    agg.errors.push(agg);
    const holder = Object.assign(new Error('x'), { data, all: agg });
    const c = redactError(holder, fix) as Error & { data: Record<string, unknown>; all: AggregateError };
    assert.equal(c.data.note, '[redacted]');
    assert.equal(c.data.self, c.data);
    assert.equal(c.all.errors[0], c.all);
    assert.ok(!inspect(c, { depth: 6 }).includes('hunter2-plain'));
  });

  test("an error's plain data (an API Status's causes) is redacted, other text kept", () => {
    const e = Object.assign(new Error('Secret "creds" is invalid'), {
      details: {
        name: 'creds',
        causes: [{ reason: 'FieldValueInvalid', field: 'data.k', message: 'Invalid value: "hunter2-plain": bad' }],
      },
    });
    const copy = redactError(e, fix);
    assert.deepEqual(copy.details, {
      name: 'creds',
      causes: [{ reason: 'FieldValueInvalid', field: 'data.k', message: `Invalid value: "${REDACTED}": bad` }],
    });
  });

  test('typed values that are not plain data are kept as they are; null too', () => {
    const at = new Date(0);
    const body = Buffer.from('hunter2-plain');
    const e = Object.assign(new Error('x'), { at, body, code: null, n: 3 });
    const copy = redactError(e, fix);
    assert.equal(copy.at, at);
    assert.equal(copy.body, body);
    assert.equal(copy.code, null);
    assert.equal(copy.n, 3);
  });

  test('an accessor property is kept and reads the redacted copy', () => {
    const e = new Error('refused hunter2-plain');
    Object.defineProperty(e, 'summary', {
      get(this: Error) {
        return this.message.toUpperCase();
      },
    });
    const copy = redactError(e, fix) as Error & { summary: string };
    assert.equal(copy.summary, `REFUSED ${REDACTED.toUpperCase()}`);
  });

  test('errors inside an error (AggregateError) and a cause that is plain data are redacted', () => {
    const e = new AggregateError([new Error('one: hunter2-plain'), 'two: hunter2-plain'], 'both failed');
    const copy = redactError(e, fix);
    assert.ok(copy instanceof AggregateError);
    assert.ok(copy.errors[0] instanceof Error);
    assert.equal(copy.errors[0].message, `one: ${REDACTED}`);
    assert.equal(copy.errors[1], `two: ${REDACTED}`);
    const withCause = new Error('failed', { cause: { stderr: 'fatal: hunter2-plain' } });
    assert.deepEqual(redactError(withCause, fix).cause, { stderr: `fatal: ${REDACTED}` });
    assert.deepEqual(redactError({ stderr: 'hunter2-plain' }, fix), { stderr: REDACTED });
    assert.doesNotMatch(inspect([copy, redactError(withCause, fix)], { depth: 6 }), /hunter2/);
  });
});

describe('redaction edges: diffs', () => {
  test('a masked Secret keeps every other field', () => {
    const s = secret({ type: 'Opaque', data: { k: b64('value-1') } });
    const [b, a] = maskSecretPair(s, s);
    for (const m of [b, a]) assert.deepEqual(m, { ...s, data: { k: REDACTED } });
  });

  test('data that is no map (text, a list, null) is masked whole; the other side may be malformed too', () => {
    for (const data of ['not-a-map-value', ['a-listed-value'], null]) {
      assert.equal(maskSecretPair(secret({ data }), undefined)[0]!.data, REDACTED, inspect(data));
    }
    const [b, a] = maskSecretPair(secret({ data: { k: b64('value-1') } }), secret({ data: 'oops-a-string' }));
    assert.deepEqual([b!.data, a!.data], [{ k: REDACTED }, REDACTED]);
    assert.deepEqual(maskSecretPair(secret({ data: { k: b64('value-1') } }), secret({ data: null }))[0]!.data, {
      k: REDACTED,
    });
  });

  test('an absent field stays absent, an explicit undefined stays undefined', () => {
    const [b] = maskSecretPair(secret({ stringData: { a: 'plain-value' } }), undefined);
    assert.equal('data' in b!, false);
    assert.deepEqual(b!.stringData, { a: REDACTED });
    const [u] = maskSecretPair(secret({ data: undefined, stringData: { a: 'plain-value' } }), undefined);
    assert.equal(u!.data, undefined);
  });
});
