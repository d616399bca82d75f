import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Environment, defineEnvironments, isEnvironments } from '../../src/author/environments';

describe('environments', () => {
  test('defineEnvironments keeps the declaration and is recognisable across module copies', () => {
    const envs = defineEnvironments({ dev: {}, prod: { production: true } });
    assert.deepEqual(Object.keys(envs.definitions), ['dev', 'prod']);
    assert.equal(isEnvironments(envs), true);
    assert.equal(isEnvironments({ definitions: {} }), false);
  });

  test('rejects an empty set and names that are not DNS labels', () => {
    assert.throws(() => defineEnvironments({}), /at least one environment is required/);
    assert.throws(() => defineEnvironments({ Prod: {} }), /environment name "Prod" must be a DNS label/);
  });

  test('merges per-app overrides over the environment defaults', () => {
    const env = new Environment('prod', {
      production: true,
      defaults: { replicas: 2, host: 'a' },
      apps: { web: { replicas: 5 } },
    });
    assert.equal(env.production, true);
    assert.deepEqual(env.overridesFor('web'), { replicas: 5, host: 'a' });
    assert.deepEqual(env.overridesFor('other'), { replicas: 2, host: 'a' });
    assert.equal(new Environment('dev').production, false, 'production defaults to false');
  });

  test('resolves images: pin, then override, then fallback', () => {
    const env = new Environment(
      'dev',
      { apps: { a: { image: 'r/a:override' }, b: { image: 'r/b:override' } } },
      { a: 'r/a:pinned' },
    );
    assert.equal(env.imageFor('a'), 'r/a:pinned');
    assert.equal(env.imageFor('b', 'r/b:fallback'), 'r/b:override');
    assert.equal(env.imageFor('c', 'r/c:fallback'), 'r/c:fallback');
    assert.equal(env.imageFor('c'), undefined);
  });
});
