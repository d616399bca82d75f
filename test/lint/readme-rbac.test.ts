/** The README's table of the agent's rights is what AgentInstall renders (pure: no cluster). */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { describe, test } from 'node:test';
import { README, sampleEnvironment, withTable } from '../tools/rbac-table';

describe('README: what the agent may do', () => {
  test('the table is up to date (npm run docs:rbac)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    assert.equal(withTable(readme), readme, 'README.md is out of date: run npm run docs:rbac');
  });

  test('its rows are exactly the rules of the ClusterRole and Roles AgentInstall renders', () => {
    const { grants, agentApp } = sampleEnvironment();
    const rendered = agentApp.objects
      .map((o) => o.manifest)
      .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role');
    const byScope = new Map<string, unknown[]>();
    for (const g of grants) byScope.set(g.namespace ?? '', [...(byScope.get(g.namespace ?? '') ?? []), g.rule]);
    assert.deepEqual(
      rendered.map((m) => [m.kind === 'ClusterRole' ? '' : m.metadata.namespace, m.rules]).sort(),
      [...byScope.entries()].sort(),
    );
    // Nothing it holds lets it widen what it holds.
    for (const g of grants)
      assert.ok(!g.rule.verbs.some((v) => ['escalate', 'bind', '*'].includes(v)), JSON.stringify(g.rule));
  });
});
