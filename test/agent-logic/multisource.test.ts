/** Several sources per agent, the pure parts: GitSource specs, readiness, dependencies, webhook routing, the construct and its RBAC. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppSync } from '../../src/model/appsync';
import { GitSource as GitSourceObject } from '../../src/model/gitsource';
import { SOURCE_LABEL } from '../../src/model/keys';
import {
  isSpecProblem,
  repositoryKey,
  sourceSettings,
  webhookRepositories,
} from '../../src/agent/controller/source-spec';
import {
  dependencyCycle,
  dependencyWait,
  nextGitSourceStatus,
  readinessOf,
} from '../../src/agent/controller/source-readiness';
import { SourceState } from '../../src/agent/controller/controller';
import { AgentInstall } from '../../src/author/agent-install';
import { GitSource } from '../../src/author/git-source';
import { childLogger, createLogger, redactInLogs } from '../../src/agent/controller/log';
import { defineApp } from '../../src/author/define-app';
import { defineEnvironments } from '../../src/author/environments';
import { renderApps } from '../../src/synth/render';

const gs = (name: string, spec: Partial<GitSourceObject['spec']>): GitSourceObject => ({
  metadata: { name, generation: 3 },
  spec: { url: 'https://git.example.com/o/r.git', branch: 'main', ...spec },
});

function sync(source: string, app: string, ready: 'True' | 'False', revision: string, reason = 'X'): AppSync {
  return {
    metadata: { name: `default.${app}`, namespace: 'ns', labels: { [SOURCE_LABEL]: source } },
    spec: { app, env: 'default' },
    status: {
      lastAppliedRevision: revision,
      conditions: [{ type: 'Ready', status: ready, reason, message: 'm', lastTransitionTime: 't' }],
    },
  };
}

const state = (o: Partial<SourceState> = {}): SourceState => ({
  name: 'a',
  revision: 'r1'.padEnd(40, '0'),
  env: 'default',
  apps: ['x', 'y'],
  ...o,
});

describe('GitSource specs', () => {
  test('defaults resolved; a bare ServiceAccount name is in targetNamespace', () => {
    const s = sourceSettings(gs('shop', { path: './k8s/', serviceAccountName: 'deployer', targetNamespace: 'shop' }));
    assert.ok(!isSpecProblem(s));
    assert.equal(s.path, 'k8s');
    assert.equal(s.serviceAccount, 'shop/deployer');
    assert.deepEqual(s.dependsOn, []);
  });

  test('problems are InvalidSpec with what is wrong', () => {
    const cases: Array<[GitSourceObject, RegExp]> = [
      [gs('shop', { layout: 'ansible' }), /spec\.layout/],
      [gs('shop', { interval: 'often' }), /spec\.interval/],
      [gs('shop', { serviceAccountName: 'deployer' }), /namespace\/name/],
      [gs('shop', { dependsOn: ['shop'] }), /itself/],
      [gs('x'.repeat(64), {}), /cannot name a source/],
      [gs('shop', { url: '' }), /spec\.url/],
    ];
    for (const [g, re] of cases) {
      const s = sourceSettings(g);
      assert.ok(isSpecProblem(s), JSON.stringify(g));
      assert.equal(s.reason, 'InvalidSpec');
      assert.match(s.message, re);
    }
  });
});

describe('source readiness', () => {
  test('Ready when every app of the loaded revision has an AppSync of this source Ready at that revision', () => {
    const st = state();
    const r = readinessOf(st, [sync('a', 'x', 'True', st.revision!), sync('a', 'y', 'True', st.revision!)]);
    assert.equal(r.ready, true);
    assert.equal(r.reason, 'Succeeded');
    assert.equal(r.revision, st.revision);
  });

  test('an older revision, another source with the same app name, or a not-Ready app keep it Progressing', () => {
    const st = state();
    const older = readinessOf(st, [sync('a', 'x', 'True', 'old'), sync('a', 'y', 'True', st.revision!)]);
    assert.deepEqual([older.ready, older.reason], [false, 'Progressing']);
    assert.match(older.message, /waiting for x$/);
    const other = readinessOf(st, [sync('b', 'x', 'True', st.revision!), sync('a', 'y', 'True', st.revision!)]);
    assert.equal(other.ready, false);
    const failing = readinessOf(st, [
      sync('a', 'x', 'False', st.revision!, 'HealthCheckFailed'),
      sync('a', 'y', 'True', st.revision!),
    ]);
    assert.match(failing.message, /x \(HealthCheckFailed: m\)/);
  });

  test('fetch, build, dependency, suspend and spec problems come first, in that order of precedence', () => {
    assert.equal(readinessOf(state({ sourceError: 'unreachable' }), []).reason, 'SourceFailed');
    assert.equal(readinessOf(state({ buildError: 'bad yaml' }), []).reason, 'BuildFailed');
    assert.equal(readinessOf(state({ blocked: 'waiting' }), []).reason, 'DependencyNotReady');
    assert.equal(readinessOf(undefined, [], { suspended: true }).reason, 'Suspended');
    assert.equal(
      readinessOf(state(), [], { problem: { reason: 'CredentialsNotFound', message: 'no Secret' } }).reason,
      'CredentialsNotFound',
    );
    assert.equal(readinessOf(state({ revision: undefined, apps: undefined }), []).reason, 'Progressing');
  });

  test('dependencyWait names the first source not Ready, and unknown sources', () => {
    const ready = new Map([
      ['a', { ready: true, reason: 'Succeeded' as const, message: 'ok' }],
      ['b', { ready: false, reason: 'SourceFailed' as const, message: 'unreachable' }],
    ]);
    assert.equal(dependencyWait(['a'], ready), undefined);
    assert.equal(dependencyWait(['a', 'b'], ready), 'waiting for source "b": SourceFailed: unreachable');
    assert.match(dependencyWait(['c'], ready)!, /"c": no such source/);
  });

  test('dependencyCycle finds the cycle a source is in, and only one through it', () => {
    const g = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['c', 'x']],
      ['c', ['a']],
      ['x', []],
      ['self', ['self']],
      ['d', ['e']],
      ['e', ['f']],
      ['f', ['e']],
      ['lone', ['missing']],
    ]);
    assert.deepEqual(dependencyCycle('a', g), ['a', 'b', 'c', 'a']);
    assert.deepEqual(dependencyCycle('c', g), ['c', 'a', 'b', 'c']);
    assert.deepEqual(dependencyCycle('self', g), ['self', 'self']);
    assert.equal(dependencyCycle('x', g), undefined);
    // d waits on a cycle it is not part of: e and f report theirs, d just waits.
    assert.equal(dependencyCycle('d', g), undefined);
    assert.deepEqual(dependencyCycle('e', g), ['e', 'f', 'e']);
    assert.equal(dependencyCycle('lone', g), undefined);
    assert.equal(dependencyCycle('unknown', g), undefined);
  });

  test('the status keeps its transition time while Ready does not change, and the last Ready revision', () => {
    const t0 = new Date('2024-01-01T00:00:00Z');
    const t1 = new Date('2024-01-01T00:01:00Z');
    const st = state();
    const ok = readinessOf(st, [sync('a', 'x', 'True', st.revision!), sync('a', 'y', 'True', st.revision!)]);
    const first = nextGitSourceStatus(undefined, ok, st, 3, t0);
    assert.equal(first.lastReadyRevision, st.revision);
    assert.equal(first.observedGeneration, 3);
    const failed = nextGitSourceStatus(first, { ready: false, reason: 'SourceFailed', message: 'x' }, st, 3, t1);
    assert.equal(failed.conditions?.[0].lastTransitionTime, t1.toISOString());
    assert.equal(failed.lastReadyRevision, st.revision, 'kept');
    const again = nextGitSourceStatus(failed, { ready: false, reason: 'BuildFailed', message: 'y' }, st, 3, t0);
    assert.equal(again.conditions?.[0].lastTransitionTime, t1.toISOString());
  });
});

describe('webhook routing', () => {
  test('the URLs of one repository, in any form, have one key', () => {
    const keys = [
      'https://github.com/Org/Repo.git',
      'https://x-access-token:abc@github.com/org/repo/',
      'git@github.com:org/repo.git',
      'ssh://git@github.com/org/repo',
      'git://github.com/org/repo.git',
    ].map(repositoryKey);
    assert.deepEqual(new Set(keys), new Set(['github.com/org/repo']));
    assert.notEqual(repositoryKey('https://github.com/org/other'), keys[0]);
  });

  test('a push payload names its repository; anything else names none', () => {
    const body = Buffer.from(
      JSON.stringify({
        repository: { clone_url: 'https://github.com/org/repo.git', ssh_url: 'git@github.com:org/repo.git' },
      }),
    );
    assert.deepEqual([...webhookRepositories(body)], ['github.com/org/repo']);
    assert.equal(webhookRepositories(Buffer.from('not json')).size, 0);
    assert.equal(webhookRepositories(Buffer.from('null')).size, 0);
  });
});

describe('GitSource construct', () => {
  test('renders a GitSource in the agent namespace; AgentInstall reads its Secret by name and may impersonate its ServiceAccount', () => {
    let agent: AgentInstall | undefined;
    const agentDef = defineApp({
      name: 'synthops-agent',
      namespace: 'synthops-system',
      build: (app) => {
        agent = new AgentInstall(app, 'agent', {
          repo: 'https://git.example.com/o/c.git',
          branch: 'deploy',
          image: 'i:1',
        });
        const base = new GitSource(app, 'base', { url: 'https://git.example.com/o/base.git', branch: 'main' });
        new GitSource(app, 'web', {
          url: 'git@git.example.com:o/web.git',
          branch: 'main',
          path: 'k8s',
          secretName: 'web-git',
          serviceAccountName: 'deployer',
          targetNamespace: 'web',
          dependsOn: [base],
        });
      },
    });
    const r = renderApps(
      [{ env: 'prod', definition: agentDef, source: 'apps/agent.ts' }],
      defineEnvironments({ prod: {} }),
      {},
    );
    assert.deepEqual(r.failures, []);
    const objects = r.apps[0].objects.map((o) => o.manifest);
    const web = objects.find((m) => m.kind === 'GitSource' && m.metadata.name === 'web');
    assert.equal(web?.metadata.namespace, 'synthops-system');
    assert.deepEqual(web?.spec, {
      url: 'git@git.example.com:o/web.git',
      branch: 'main',
      path: 'k8s',
      targetNamespace: 'web',
      serviceAccountName: 'deployer',
      secretRef: { name: 'web-git' },
      dependsOn: ['base'],
    });
    assert.ok(
      objects.some((m) => m.kind === 'CustomResourceDefinition' && m.metadata.name === 'gitsources.synthops.dev'),
    );
    const rules = agent!.grants.map((g) => ({ ns: g.namespace, ...g.rule }));
    const secrets = rules.filter((g) => g.resources.includes('secrets'));
    assert.deepEqual(
      secrets.map((g) => [g.ns, g.resourceNames, g.verbs]),
      [['synthops-system', ['web-git'], ['get']]],
    );
    assert.ok(
      rules.some(
        (g) => g.ns === 'web' && g.resources.includes('serviceaccounts') && g.resourceNames?.includes('deployer'),
      ),
    );
    const args = (
      objects.find((m) => m.kind === 'Deployment')!.spec as {
        template: { spec: { containers: Array<{ args: string[] }> } };
      }
    ).template.spec.containers[0].args;
    assert.match(args[args.indexOf('--allowed-service-accounts') + 1], /web\/deployer/);
    const bad = renderApps(
      [
        {
          env: 'prod',
          definition: defineApp({
            name: 'synthops-agent',
            namespace: 'synthops-system',
            build: (app) => {
              new GitSource(app, 'Bad Name!', { url: 'u', branch: 'b' });
            },
          }),
          source: 'apps/agent.ts',
        },
      ],
      defineEnvironments({ prod: {} }),
      {},
    );
    assert.match(bad.failures.map((f) => f.message).join('\n'), /cannot name a source/);
    const withInterval = (interval: string) =>
      renderApps(
        [
          {
            env: 'prod',
            definition: defineApp({
              name: 'synthops-agent',
              namespace: 'synthops-system',
              build: (app) => {
                new GitSource(app, 'web', { url: 'u', branch: 'b', interval });
              },
            }),
            source: 'apps/agent.ts',
          },
        ],
        defineEnvironments({ prod: {} }),
        {},
      ).failures.map((f) => f.message);
    assert.match(withInterval('90').join('\n'), /GitSource web: interval: /);
    assert.match(withInterval('0s').join('\n'), /GitSource web: interval: it must be positive/);
    assert.deepEqual(withInterval('1m30s'), []);
  });
});

describe('one logger, several sources', () => {
  test("a Secret one source applies is kept out of every source's lines, and a source's new revision replaces only its own", () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    const a = childLogger(log, { source: 'a' });
    const b = childLogger(log, { source: 'b' });
    const secret = (value: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
      stringData: { password: value },
    });
    redactInLogs(a, [secret('alpha-secret-value-1')]);
    redactInLogs(b, [secret('Zq9WmX4kTr7pLb2N')]);
    b.info({ err: 'failed near alpha-secret-value-1' }, 'x');
    a.info({ err: 'failed near Zq9WmX4kTr7pLb2N' }, 'y');
    // b moves on twice: its old value leaves, a's stays.
    redactInLogs(b, []);
    redactInLogs(b, []);
    log.info({ err: 'alpha-secret-value-1 Zq9WmX4kTr7pLb2N' }, 'z');
    const text = lines.join('');
    assert.ok(!text.includes('alpha-secret-value-1'), text);
    assert.equal((text.match(/Zq9WmX4kTr7pLb2N/g) ?? []).length, 1, 'only after b dropped it');
    assert.match(lines[0], /"source":"b"/);
  });
});
