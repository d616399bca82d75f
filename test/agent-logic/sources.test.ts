import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultSourceName, sourceIdentity, sourceNameProblem } from '../../src/model/source';
import { ownInventories } from '../../src/agent/state/ownership';
import { SourceConflictError } from '../../src/agent/state/errors';
import { agentSourceName } from '../../src/bootstrap/bootstrap';
import { Inventory } from '../../src/model/inventory';
import { UsageError } from '../../src/model/errors';

describe('sources', () => {
  test('a derived name is a readable, stable label value that tells sources apart', () => {
    const name = defaultSourceName({ url: 'https://git.example.com/org/config.git', branch: 'main', path: 'k8s/prod' });
    assert.match(name, /^config-main-k8s-prod-[0-9a-f]{10}$/);
    assert.equal(sourceNameProblem(name), undefined);
    // The same repository however it is spelt: credentials, trailing slash, `.git`, `./`.
    for (const url of [
      'https://***@git.example.com/org/config',
      'https://git.example.com/org/config/',
      'https://token@git.example.com/org/config.git',
    ]) {
      assert.equal(defaultSourceName({ url, branch: 'main', path: './k8s/prod/' }), name, url);
    }
    const others = [
      { url: 'https://git.example.com/org/config.git', branch: 'main', path: 'k8s/dev' },
      { url: 'https://git.example.com/org/config.git', branch: 'release', path: 'k8s/prod' },
      { url: 'https://git.example.com/other/config.git', branch: 'main', path: 'k8s/prod' },
    ];
    for (const o of others) assert.notEqual(defaultSourceName(o), name, JSON.stringify(o));
    assert.equal(
      defaultSourceName({ url: 'git@host:org/config.git', branch: 'main' }).startsWith('config-main-'),
      true,
      'scp-style URLs too',
    );
    const long = defaultSourceName({ url: 'file:///x/deploy.git', branch: 'b'.repeat(100), path: 'p'.repeat(100) });
    assert.equal(sourceNameProblem(long), undefined, `${long} is a label value`);
  });

  test('a given name must be a label value', () => {
    assert.equal(sourceIdentity({ url: 'u', branch: 'b' }, 'team-a').name, 'team-a');
    assert.deepEqual(sourceIdentity({ url: 'u', branch: 'b', path: './apps/' }).path, 'apps');
    for (const bad of ['', '-a', 'a b', 'a/b', 'x'.repeat(64)])
      assert.throws(() => sourceIdentity({ url: 'u', branch: 'b' }, bad), UsageError, bad);
  });

  test("a source sees its own inventories, adopts unowned ones of apps it claims, and conflicts on another source's", () => {
    const inv = (app: string, owner?: string): Inventory => ({
      app,
      env: 'dev',
      objects: [],
      ...(owner ? { source: { name: owner, url: `file:///${owner}` } } : {}),
    });
    const all = [
      inv('mine', 'me'),
      inv('gone', 'me'),
      inv('legacy'),
      inv('legacy-unclaimed'),
      inv('theirs', 'them'),
      inv('contested', 'them'),
    ];
    const { own, conflicts } = ownInventories(all, 'me', new Set(['mine', 'legacy', 'contested', 'new']));
    assert.deepEqual([...own.keys()].sort(), ['gone', 'legacy', 'mine']);
    assert.deepEqual([...conflicts.keys()], ['contested']);
    const c = conflicts.get('contested')!;
    assert.ok(c instanceof SourceConflictError);
    assert.deepEqual([c.owner.name, c.claimant], ['them', 'me']);
    assert.match(
      c.message,
      /^app "contested" \(environment dev\) belongs to source "them" \(file:\/\/\/them\), and source "me" claims it too/,
    );
  });

  test("bootstrap records the agent's app under the source the installed agent runs as", () => {
    const dep = (args: string[]) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'a', namespace: 'n' },
      spec: { template: { spec: { containers: [{ name: 'agent', args }] } } },
    });
    assert.equal(
      agentSourceName(dep(['agent', '--repo', 'https://h/o/deploy.git', '--branch', 'deploy', '--source', 'self'])),
      'self',
    );
    assert.equal(
      agentSourceName(dep(['agent', '--repo', 'https://h/o/deploy.git', '--branch', 'deploy', '--path', '.'])),
      defaultSourceName({ url: 'https://h/o/deploy.git', branch: 'deploy' }),
    );
    assert.equal(agentSourceName(dep(['serve'])), undefined);
  });
});
