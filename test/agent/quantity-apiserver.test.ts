/**
 * synthops' quantity parser against the apiserver's own: each quantity goes into a
 * ResourceQuota's `spec.hard` (`limits.memory`), created with server-side dry-run, and
 * the form the apiserver answers with is compared with what memoryQuantity says
 * (parseQuantity, rounded up to 1m as the apiserver's resource-list defaulting does). What the apiserver refuses, ours refuses; what ours accepts, the
 * apiserver accepts with the same value, and (but where it echoes its input as given)
 * writes back as our canonical form; our canonical form comes back unchanged.
 */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QuantityError, memoryQuantity } from '../../src/author/quantity';
import { KubeApiError } from '../../src/kube/errors';
import { testClient } from '../harness/agent';
import { testNamespace } from '../harness/cluster';

/** Accepted by both, in every suffix family, with the tricky ones: fractions, rounding, limits. */
const VALID = [
  '128M',
  '1G',
  '1e3',
  '128Mi',
  '0.5Gi',
  '100m',
  '1.5',
  '1E',
  '1Gi',
  '1024Mi',
  '1536Mi',
  '1.5Gi',
  '0.1Ki',
  '1Ki',
  '0.5Ki',
  '1.5Ki',
  '100Ki',
  '2048Ki',
  '1000000Ki',
  '500Mi',
  '1.25Gi',
  '1Ti',
  '1Pi',
  '1Ei',
  '7Ei',
  '1023',
  '1024',
  '1536',
  '0',
  '1000',
  '1k',
  '1T',
  '1P',
  '9E',
  '1n',
  '1u',
  '1e-3',
  '1e-10',
  '0.0000000001',
  '1e-30',
  '.5',
  '5.',
  '0.5',
  '1.0',
  '1.000',
  '1e+3',
  '1E3',
  '12e2',
  '1.2e3',
  '1e0',
  '3.14159',
  '123456789',
  '1500m',
  '1500000u',
  '9223372036854775807',
  '0.000000001',
  '1.5e-9',
  '2.5E-3',
];
/** Not canonical as written; the apiserver may keep such input as given (its cache of the string it parsed). */
const ODD = ['+1Ki', '01', '007', '+1', '-0', '00.5', '+1.5Gi', '0001Mi'];
/** Refused by the apiserver (and so by ours): not the grammar, wrong-case or unknown suffixes, negatives. */
const INVALID = [
  '',
  'abc',
  'Gi',
  '1KB',
  '1kb',
  '1K',
  '1mi',
  '1MB',
  '32MB',
  '1Mi3',
  '1e',
  '1Ee',
  '1.5.5',
  '1i',
  '1 Gi',
  '--1',
  '1e3.5',
  '1b',
  '0x10',
  '1,5',
  'NaN',
  'Infinity',
  '-1',
  '-1Gi',
  '-0.5',
];
// Never sent: an exponent like 1e99999999999 or 1e-2000000000 keeps the apiserver busy for
// more than 30 s and hundreds of MiB (big-number arithmetic); ours refuses or rounds
// them at once (test/author/quantity.test.ts).
/**
 * Ours refuses them by design even if the apiserver takes them: outside the documented
 * grammar (`.`, a bare sign), beyond 2^63-1 (the apiserver silently caps), or padded.
 */
const STRICTER = new Set([
  '.',
  '+',
  '-',
  'Gi',
  'Mi',
  '8Ei',
  '10E',
  '1e30',
  '99999999999999999999',
  ' 1Gi',
  '1Gi ',
  '1Mi\n',
]);

type Answer =
  | { readonly accepted: true; readonly form: string }
  | { readonly accepted: false; readonly reason: string };

function ours(q: string): Answer {
  try {
    return { accepted: true, form: memoryQuantity(q, 'memory').canonical };
  } catch (e) {
    if (e instanceof QuantityError) return { accepted: false, reason: e.message };
    throw e;
  }
}

describe('memory quantities against the apiserver', () => {
  test('what the apiserver accepts and writes back, and what it refuses, ours says too', async (t) => {
    const client = await testClient(t);
    const ns = await testNamespace(t);
    const server = async (q: string): Promise<Answer> => {
      try {
        const body = await client.request<{ spec: { hard: Record<string, string> } }>(
          'POST',
          `/api/v1/namespaces/${ns}/resourcequotas`,
          {
            body: {
              apiVersion: 'v1',
              kind: 'ResourceQuota',
              metadata: { name: 'q' },
              spec: { hard: { 'limits.memory': q } },
            },
            query: { dryRun: 'All' },
          },
        );
        return { accepted: true, form: body.spec.hard['limits.memory'] };
      } catch (e) {
        // 400: the body did not decode (not a quantity); 422: invalid (negative).
        if (e instanceof KubeApiError && (e.status === 400 || e.status === 422))
          return { accepted: false, reason: e.message };
        throw e;
      }
    };
    const problems: string[] = [];
    for (const q of [...VALID, ...ODD, ...INVALID, ...STRICTER]) {
      const api = await server(q);
      const mine = ours(q);
      const shown = JSON.stringify(q);
      if (!api.accepted && mine.accepted)
        problems.push(`${shown}: the apiserver refuses it (${api.reason}), ours takes it`);
      if (api.accepted && !mine.accepted && !STRICTER.has(q))
        problems.push(`${shown}: the apiserver takes it as ${api.form}, ours refuses it (${mine.reason})`);
      if (!api.accepted || !mine.accepted) continue;
      if (memoryQuantity(api.form, 'memory').nanos !== memoryQuantity(q, 'memory').nanos)
        problems.push(`${shown}: the apiserver says ${api.form}, ours ${mine.form}: different values`);
      if (api.form !== mine.form && api.form !== q)
        problems.push(`${shown}: the apiserver writes ${api.form}, ours ${mine.form}`);
      // Our form is canonical for the apiserver: it comes back as it was sent.
      const again = await server(mine.form);
      if (!again.accepted || again.form !== mine.form)
        problems.push(`${shown}: ours ${mine.form} comes back as ${again.accepted ? again.form : 'refused'}`);
    }
    for (const q of VALID)
      if (!ours(q).accepted) problems.push(`${JSON.stringify(q)} is listed valid but ours refuses it`);
    for (const q of INVALID)
      if (ours(q).accepted) problems.push(`${JSON.stringify(q)} is listed invalid but ours takes it`);
    assert.deepEqual(problems, []);
  });
});
