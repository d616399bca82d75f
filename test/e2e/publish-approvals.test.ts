/**
 * Approving a held prune through publish, as a user does it: `synthops publish` and
 * `synthops agent --once` as processes, a real bare remote and the real control plane.
 */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { refOf } from '../../src/model/manifest';
import { configMap, testObjects } from '../harness/agent';
import { testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { agentOnceArgs } from '../harness/once-args';
import { SourceRepo, branchLog, treeAt } from '../harness/source-repo';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');

function synthops(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An app of ConfigMaps `names` in namespace `ns`. */
function shop(ns: string, names: readonly string[]): string {
  return `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'shop', namespace: '${ns}', createNamespace: false, build: (app) => {
${names.map((n) => `  new k8s.KubeConfigMap(app, '${n}', { metadata: { name: '${n}' }, data: { k: 'v' } });`).join('\n')}
} });
`;
}

describe('end to end: publish --allow-prune', () => {
  test('a held prune is carried out by agent --once after publish --allow-prune commits the approval on an unchanged tree', async (t) => {
    const ns = await testNamespace(t);
    const kubeconfig = await testKubeconfig();
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-e2e-agent-'));
    t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
    const src = SourceRepo.create(t, {
      'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`,
      'apps/shop.ts': shop(ns, ['a', 'b', 'c', 'd']),
    });
    const remote = TestRemote.create(t);
    const publish = (...extra: string[]) =>
      synthops(src.root, 'publish', '--repo', remote.fileUrl, '--branch', 'deploy', ...extra);
    const once = () =>
      synthops(
        src.root,
        ...agentOnceArgs({ repo: remote.fileUrl, kubeconfig, namespace: ns, workdir, timeout: '60s' }),
      );

    assert.equal(publish().code, 0);
    const first = once();
    assert.equal(first.code, 0, first.stdout + first.stderr);

    src.write({ 'apps/shop.ts': shop(ns, ['a']) });
    src.commit('shop keeps one ConfigMap');
    assert.equal(publish().code, 0);
    const held = once();
    assert.equal(held.code, 1, held.stdout + held.stderr);
    assert.match(held.stdout, /prune held \(3\):/);
    const objects = await testObjects(t);
    for (const n of ['b', 'c', 'd']) assert.ok(await objects.get(refOf(configMap(n, ns))), `${n} is held`);

    const before = branchLog(remote.bare, 'deploy')[0].sha;
    const approve = publish('--allow-prune', 'shop');
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, /output unchanged; allows the prune of shop$/m);
    const log = branchLog(remote.bare, 'deploy');
    assert.match(log[0].message, /\nAllow-Prune: shop$/);
    assert.deepEqual(
      treeAt(remote.bare, log[0].sha),
      treeAt(remote.bare, before),
      'an empty commit: only the approval is new',
    );

    const pruned = once();
    assert.equal(pruned.code, 0, pruned.stdout + pruned.stderr);
    assert.match(pruned.stdout, /pruned \(3\):/);
    for (const n of ['b', 'c', 'd']) assert.equal(await objects.get(refOf(configMap(n, ns))), undefined, `${n} pruned`);
    assert.ok(await objects.get(refOf(configMap('a', ns))));
  });
});
