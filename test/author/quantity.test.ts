/** The quantity parser's pure logic; test/agent/quantity-apiserver.test.ts holds it against the apiserver. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  QuantityError,
  QuantitySyntaxError,
  memoryQuantity,
  parseMemory,
  parseQuantity,
} from '../../src/author/quantity';

describe('parseQuantity', () => {
  test('every suffix family, in the canonical form the apiserver writes', () => {
    const cases: Record<string, string> = {
      '128M': '128M',
      '1G': '1G',
      '1e3': '1e3',
      '1E3': '1e3',
      '1000': '1k',
      '128Mi': '128Mi',
      '0.5Gi': '512Mi',
      '1024Mi': '1Gi',
      '0.5Ki': '512',
      '0.1Ki': '102400m',
      '100m': '100m',
      '1.5': '1500m',
      '1E': '1E',
      '1n': '1n',
      '1.5e-9': '2e-9',
      '.5': '500m',
      '5.': '5',
      '+1Ki': '1Ki',
      '-0': '0',
      '-1.5Gi': '-1536Mi',
      '9223372036854775807': '9223372036854775807',
    };
    for (const [text, canonical] of Object.entries(cases)) assert.equal(parseQuantity(text).canonical, canonical, text);
  });

  test('values are exact, finer than 1n rounded up; huge exponents answer at once', () => {
    assert.equal(parseQuantity('0.1Ki').nanos, 102_400_000_000n);
    assert.equal(parseQuantity('1e-2000000000').nanos, 1n);
    assert.equal(parseQuantity('1e-2000000000').canonical, '1e-9');
    assert.throws(() => parseQuantity('1e99999999999'), QuantitySyntaxError);
    assert.throws(() => parseQuantity('1e2000000000'), /too large/);
    assert.throws(() => parseQuantity('8Ei'), /too large/);
  });

  test('anything outside the grammar is a QuantitySyntaxError', () => {
    for (const bad of ['', '.', '+', 'Gi', '1K', '1KB', '1mi', '1e', '1Mi3', '1 Gi', ' 1Gi', '1.5.5', '0x10', 'NaN'])
      assert.throws(() => parseQuantity(bad), QuantitySyntaxError, JSON.stringify(bad));
  });
});

describe('memory quantities', () => {
  test('rounded up to 1m as a resource list keeps them; negatives refused naming the field', () => {
    assert.equal(memoryQuantity('1n', 'f').canonical, '1m');
    assert.equal(memoryQuantity('3.14159', 'f').canonical, '3142m');
    assert.equal(memoryQuantity('2.5E-3', 'f').canonical, '3e-3');
    assert.throws(() => memoryQuantity('-1Gi', 'limits.memory'), /^Error: limits\.memory: "-1Gi" is negative$/);
    assert.throws(() => memoryQuantity('32MB', 'f'), QuantityError);
  });

  test('synthops writes whole mebibytes as <n>Mi (as it always has), the rest canonical', () => {
    assert.equal(parseMemory('1Gi', 'f'), '1024Mi');
    assert.equal(parseMemory('0.5Gi', 'f'), '512Mi');
    assert.equal(parseMemory('128M', 'f'), '128M');
    assert.equal(parseMemory('1e9', 'f'), '1e9');
    assert.equal(parseMemory('1.5', 'f'), '1500m');
    assert.equal(parseMemory('0', 'f'), '0');
  });
});
