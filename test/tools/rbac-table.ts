/**
 * `npm run docs:rbac`: renders what the agent may do, and why, as a Markdown table
 * into README.md between the rbac-table markers. The rows are AgentInstall's own
 * grants (the rules its ClusterRole and Roles are rendered from) for a sample
 * environment; test/lint/readme-rbac.test.ts keeps the README up to date.
 */
import * as fs from 'fs';
import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import { AgentGrant, AgentInstall } from '../../src/author/agent-install';
import { GitSource } from '../../src/author/git-source';
import { defineApp } from '../../src/author/define-app';
import { defineEnvironments } from '../../src/author/environments';
import { RenderedApp, renderApps } from '../../src/synth/render';

export const README = path.resolve(__dirname, '..', '..', 'README.md');
const START = '<!-- rbac-table:start (npm run docs:rbac) -->';
const END = '<!-- rbac-table:end -->';

/** The sample: the agent in synthops-system with one GitSource (`payments`, credentials in Secret `payments-git`) and one app, `shop`, applied as its ServiceAccount `shop/deployer`. */
export function sampleEnvironment(): { grants: readonly AgentGrant[]; agentApp: RenderedApp } {
  let agent: AgentInstall | undefined;
  const agentDef = defineApp({
    name: 'synthops-agent',
    namespace: 'synthops-system',
    build: (app) => {
      agent = new AgentInstall(app, 'agent', {
        repo: 'https://git.example.com/org/config.git',
        branch: 'deploy',
        image: 'ghcr.io/example/synthops:0.1.0',
      });
      // A second source, read with the token of its own Secret.
      new GitSource(app, 'payments', {
        url: 'https://git.example.com/org/payments-deploy.git',
        branch: 'deploy',
        secretName: 'payments-git',
      });
    },
  });
  const shop = defineApp({
    name: 'shop',
    namespace: 'shop',
    createNamespace: false,
    serviceAccount: 'deployer',
    build: (app) => {
      new k8s.KubeConfigMap(app, 'settings', { metadata: { name: 'settings' }, data: { mode: 'fast' } });
      new k8s.KubeService(app, 'web', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
      new k8s.KubeDeployment(app, 'deployment', {
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0.0' }] },
          },
        },
      });
    },
  });
  const r = renderApps(
    [agentDef, shop].map((definition) => ({ env: 'prod', definition, source: `apps/${definition.name}.ts` })),
    defineEnvironments({ prod: {} }),
    {},
  );
  if (r.failures.length > 0 || !agent)
    throw new Error(`the sample did not render: ${r.failures.map((f) => f.message).join('; ')}`);
  return { grants: agent.grants, agentApp: r.apps.find((a) => a.app === 'synthops-agent')! };
}

const code = (xs: readonly string[] | undefined, none: string) =>
  xs && xs.length > 0 ? xs.map((x) => `\`${x}\``).join(', ') : none;

/** The table, one row per rule. */
export function rbacTable(): string {
  const { grants } = sampleEnvironment();
  const where = (g: AgentGrant) =>
    !g.namespace
      ? 'cluster-wide'
      : g.namespace === 'synthops-system'
        ? '`synthops-system` (its own)'
        : `\`${g.namespace}\` (an app's)`;
  const rows = grants.map(
    (g) =>
      `| ${where(g)} | ${code(
        g.rule.apiGroups.map((x) => x || 'core'),
        '',
      )} | ${code(g.rule.resources, '')} | ${code(g.rule.resourceNames, 'any')} | ${g.rule.verbs.join(', ')} | ${g.why} |`,
  );
  return [
    START,
    '',
    '| Where | API group | Resources | Names | Verbs | Why |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    END,
  ].join('\n');
}

/** The README with the table replaced. */
export function withTable(readme: string, table = rbacTable()): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} ... ${END} markers`);
  return readme.slice(0, from) + table + readme.slice(to + END.length);
}

if (require.main === module) {
  const before = fs.readFileSync(README, 'utf8');
  const after = withTable(before);
  if (after !== before) fs.writeFileSync(README, after);
  process.stdout.write(
    after !== before ? 'README.md: RBAC table updated\n' : 'README.md: RBAC table already up to date\n',
  );
}
