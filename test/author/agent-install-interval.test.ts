/** AgentInstall's interval is a Go duration, checked at synth (the agent would refuse it at start). */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentInstall } from '../../src/author/agent-install';
import { renderApp } from '../harness/render';

const props = { repo: 'https://git.example.com/deploy.git', branch: 'deploy', image: 'ghcr.io/example/synthops:0.1.0' };

/** The error of rendering an AgentInstall with `interval`, if any (outside synth, its RBAC cannot complete). */
function errorOf(interval: string): string {
  try {
    renderApp((app) => new AgentInstall(app, 'agent', { ...props, interval }));
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

test('AgentInstall refuses an interval that is not a positive Go duration, naming it', () => {
  for (const interval of ['5x', '30', '0', '-1m']) assert.match(errorOf(interval), /agent: interval: /, interval);
  assert.doesNotMatch(errorOf('1m30s'), /interval/);
});
