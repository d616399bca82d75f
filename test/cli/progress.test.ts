/** The pure parts of CLI progress: colour choice, the lines, and the status redraw against a fake stream and clock. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChangeSet, appResult } from '../../src/agent/apply/change-set';
import {
  Progress,
  appDoneLine,
  colorEnabled,
  healthChanges,
  painter,
  verbosityOf,
  waitingLine,
} from '../../src/cli/progress';
import { UsageError } from '../../src/model/errors';
import { ObjectHealth } from '../../src/model/health';

const ESC = '\u001b[';

function fake(o: { live: boolean; color?: boolean; verbosity?: 'quiet' | 'normal' | 'verbose'; columns?: number }) {
  let now = 0;
  let written = '';
  const p = new Progress(
    { write: (s: string) => (written += s), columns: o.columns },
    { live: o.live, color: o.color ?? false, verbosity: o.verbosity ?? 'normal', now: () => now },
  );
  return {
    p,
    advance: (ms: number) => (now += ms),
    take: () => {
      const w = written;
      written = '';
      return w;
    },
  };
}

describe('progress', () => {
  test('colours: --no-color and NO_COLOR always win, FORCE_COLOR forces (but 0/false), else a terminal that is not dumb', () => {
    const c = (flag: boolean | undefined, env: Record<string, string>, isTTY: boolean) =>
      colorEnabled({ flag, env, isTTY });
    assert.equal(c(undefined, {}, true), true);
    assert.equal(c(undefined, {}, false), false);
    assert.equal(c(undefined, { TERM: 'dumb' }, true), false);
    assert.equal(c(undefined, { FORCE_COLOR: '1' }, false), true);
    assert.equal(c(undefined, { FORCE_COLOR: '' }, false), true);
    assert.equal(c(undefined, { FORCE_COLOR: '0' }, true), false);
    assert.equal(c(undefined, { FORCE_COLOR: 'false' }, true), false);
    assert.equal(c(undefined, { NO_COLOR: '1', FORCE_COLOR: '1' }, true), false);
    assert.equal(c(undefined, { NO_COLOR: '' }, true), true, 'an empty NO_COLOR is unset (no-color.org)');
    assert.equal(c(false, { FORCE_COLOR: '1' }, true), false);
    assert.equal(painter(false)('ok', 'x'), 'x');
    assert.equal(painter(true)('bad', 'x'), `${ESC}31mx${ESC}0m`);
  });

  test('-q and -v exclude each other', () => {
    assert.equal(verbosityOf({}), 'normal');
    assert.equal(verbosityOf({ quiet: true }), 'quiet');
    assert.equal(verbosityOf({ verbose: true }), 'verbose');
    assert.throws(() => verbosityOf({ quiet: true, verbose: true }), UsageError);
  });

  test('the waiting line names the first object still Progressing and counts the rest', () => {
    const h = (object: string, health: ObjectHealth['health'], message = 'm'): ObjectHealth => ({
      object,
      health,
      message,
    });
    assert.equal(waitingLine(new Map([['a', [h('x', 'Healthy')]]])), undefined);
    assert.equal(
      waitingLine(
        new Map([
          ['a', [h('ConfigMap n/c', 'Healthy'), h('Deployment n/web', 'Progressing', '0/1 replicas available')]],
          ['b', [h('Job n/j', 'Progressing'), h('Job n/k', 'Degraded')]],
        ]),
      ),
      'waiting for a: Deployment n/web (0/1 replicas available) and 1 more',
    );
    const seen = new Map<string, string>();
    const look = new Map([['a', [h('Deployment n/web', 'Progressing', '0/1')]]]);
    assert.deepEqual(healthChanges(look, seen), ['a: Deployment n/web: Progressing: 0/1']);
    assert.deepEqual(healthChanges(look, seen), [], 'no change, no line');
    assert.deepEqual(healthChanges(new Map([['a', [h('Deployment n/web', 'Healthy', 'ok')]]]), seen), [
      'a: Deployment n/web: Healthy: ok',
    ]);
  });

  test("an app's line: outcome, counts, health, and why when not converged", () => {
    const c = new ChangeSet('shop', 'dev');
    c.fail({ kind: 'internal', message: 'boom' });
    const failed = appResult(c, 1500);
    assert.match(appDoneLine(failed, painter(false)), /^shop: Failed in 1\.5s: .*boom/);
    assert.ok(appDoneLine(failed, painter(true)).startsWith(`shop: ${ESC}31mFailed${ESC}0m`));
  });

  test('piped: a line per change, a reminder after 1.5 s of silence (ticks every 0.5 s: never 2 s silent), never a carriage return or escape', () => {
    const f = fake({ live: false });
    f.p.status('fetching x');
    f.p.status('fetching x');
    assert.equal(f.take(), 'fetching x\n');
    f.advance(1000);
    f.p.tick();
    assert.equal(f.take(), '', 'not yet silent for 1.5 s');
    f.advance(600);
    f.p.tick();
    assert.equal(f.take(), 'fetching x (still, after 1s)\n');
    f.p.line('shop: Converged');
    f.p.detail('only with -v');
    f.p.status(undefined);
    f.advance(5000);
    f.p.tick();
    assert.equal(f.take(), 'shop: Converged\n', 'no status, no reminder');
  });

  test('live: the status is redrawn in place (erase with an escape only when colours are allowed), cut to the width', () => {
    const plain = fake({ live: true, columns: 40 });
    plain.p.status('waiting for shop');
    assert.equal(plain.take(), 'waiting for shop (0s)');
    plain.advance(3000);
    plain.p.tick();
    assert.equal(plain.take(), `\r${' '.repeat(21)}\rwaiting for shop (3s)`);
    plain.p.line('shop: Converged');
    assert.equal(plain.take(), `\r${' '.repeat(21)}\rshop: Converged\nwaiting for shop (3s)`);
    plain.p.status('x'.repeat(100));
    assert.equal(plain.take().split('\r').pop()!.length, 39);
    plain.p.stop();
    assert.ok(!plain.take().includes(ESC));

    const colored = fake({ live: true, color: true });
    colored.p.status('a');
    colored.p.status('b');
    assert.equal(colored.take(), `a (0s)\r${ESC}Kb (0s)`);
  });

  test('-q: nothing at all; -v: the detail lines too', () => {
    const quiet = fake({ live: true, verbosity: 'quiet' });
    quiet.p.status('a');
    quiet.p.line('b');
    quiet.p.tick();
    assert.equal(quiet.take(), '');
    const verbose = fake({ live: false, verbosity: 'verbose' });
    verbose.p.detail('shop: applied ConfigMap n/c');
    assert.equal(verbose.take(), 'shop: applied ConfigMap n/c\n');
  });
});
