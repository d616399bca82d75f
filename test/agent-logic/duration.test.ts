/** Durations in Go's form, as the duration flags read them. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DurationSyntaxError, formatDuration, parseDuration } from '../../src/model/duration';
import { duration } from '../../src/cli/flags';
import { UsageError } from '../../src/model/errors';

describe('durations', () => {
  test("Go's time.ParseDuration forms", () => {
    const cases: Record<string, number> = {
      '0': 0,
      '500ms': 500,
      '30s': 30_000,
      '1m30s': 90_000,
      '2h': 7_200_000,
      '2h45m': 9_900_000,
      '1.5h': 5_400_000,
      '.5s': 500,
      '1.s': 1000,
      '1500us': 1.5,
      '1500µs': 1.5,
      '2000000ns': 2,
      '1h0m0s': 3_600_000,
      '-1s': -1000,
      '+1s': 1000,
    };
    for (const [text, ms] of Object.entries(cases)) assert.equal(parseDuration(text), ms, text);
  });

  test('anything else says why', () => {
    for (const [text, why] of [
      ['', /empty/],
      ['30', /a number without a unit/],
      ['1.5', /a number without a unit/],
      ['5x', /unknown unit "x"/],
      ['1d', /unknown unit "d"/],
      ['bogus', /each part is a number with a unit/],
      ['1h-5m', /each part is a number with a unit/],
      ['.s', /each part/],
      ['1 m', /each part/],
      ['3000000h', /out of range/],
    ] as const)
      assert.throws(
        () => parseDuration(text),
        (e) => e instanceof DurationSyntaxError && why.test(e.message),
        text,
      );
  });

  test('a flag value is a usage error naming the flag; negative ones too', () => {
    assert.equal(duration('--timeout', '1m30s'), 90_000);
    assert.throws(
      () => duration('--timeout', '5x'),
      (e) => e instanceof UsageError && /^--timeout: "5x"/.test(e.message),
    );
    assert.throws(() => duration('--interval', '-1m'), /--interval: "-1m" is negative/);
  });

  test('printed as Go prints them, without zero parts', () => {
    assert.deepEqual([0, 500, 1000, 90_000, 7_200_000, 5_430_500, 1.5].map(formatDuration), [
      '0s',
      '500ms',
      '1s',
      '1m30s',
      '2h',
      '1h30m30.5s',
      '1.5ms',
    ]);
  });
});
