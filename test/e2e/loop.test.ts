/**
 * The whole loop, with real remotes and the real control plane: a source commit is
 * synthesised and published (git smart HTTP with a token), the agent fetches it (git
 * daemon) when the webhook fires, and the cluster converges; then an image bump through
 * set-image, a rollback, and a broken app that never gets published.
 */
import * as k8s from '@kubernetes/client-node';
import { createHmac } from 'crypto';
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StatusStore } from '../../src/agent/state/status-store';
import { publish } from '../../src/publish/publish';
import { rollback } from '../../src/publish/rollback';
import { setImage } from '../../src/publish/set-image';
import { testClient } from '../harness/agent';
import { eventually, testKubeConfig, testNamespace } from '../harness/cluster';
import { RESOURCES } from '../harness/config-repo';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { serveGitHttp } from '../harness/git-http';
import { SourceRepo, branchLog } from '../harness/source-repo';

const SECRET = 'e2e-webhook-secret';
const TOKEN = 'e2e-git-token';
const SEED_IMAGE = 'docker.io/kostiscodefresh/simple-web-app:3d9b390';

describe('end to end: source commit to converged cluster', () => {
  test('publish, webhook, converge; unchanged publish; set-image; rollback; a failing app blocks publish', async (t) => {
    const ns = await testNamespace(t);
    const web = `import { WebService, defineApp } from 'synthops';
export default defineApp({ name: 'web', namespace: '${ns}', createNamespace: false, build: (app) => {
  new WebService(app, 'web', { port: 8080, selectorLabels: { app: 'trivial-go-web-app' }, resources: ${RESOURCES} });
} });
`;
    // The config repo, pushed to its own remote (the app source repo's CI bumps images there).
    const configRemote = TestRemote.create(t);
    const src = SourceRepo.create(t, {
      'apps/environments.ts': `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: { defaults: { replicas: 1 } } });\n`,
      'apps/images.yaml': `dev:\n  web: ${SEED_IMAGE}\n`,
      'apps/web.ts': web,
    });
    src.git('remote', 'set-url', 'origin', configRemote.fileUrl);
    src.git('push', '-q', 'origin', 'main');
    const configHttp = await serveGitHttp(t, configRemote.root, TOKEN);

    // The deploy repo: CI publishes over smart HTTP with a token; the agent pulls over git://.
    const deploy = TestRemote.create(t);
    const deployHttp = await serveGitHttp(t, deploy.root, TOKEN);
    const deployUrl = deployHttp.url('deploy.git');
    const publishNow = () => publish({ root: src.root, repo: deployUrl, branch: 'deploy', auth: { token: TOKEN } });

    const first = await publishNow();
    assert.equal(first.status, 'published');
    const agentUrl = await deploy.serve();
    const agent = await startController(t, { repo: agentUrl, branch: 'deploy', ns, env: 'dev', webhookSecret: SECRET });
    const store = new StatusStore(await testClient(t), ns);
    const apps = (await testKubeConfig()).makeApiClient(k8s.AppsV1Api);
    const hook = async () => {
      const body = '{"ref":"refs/heads/deploy"}';
      const r = await fetch(`${agent.url}/webhook`, {
        method: 'POST',
        body,
        headers: { 'X-Hub-Signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
      });
      assert.equal(r.status, 202);
    };
    const convergedAt = async (commit: string) =>
      eventually(
        `converged at ${commit.slice(0, 12)}`,
        async () => {
          const s = await store.get('dev', 'web');
          return s?.status?.lastAppliedRevision === commit &&
            s.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
            ? s
            : undefined;
        },
        60_000,
      );
    const image = async () =>
      (await apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec?.template.spec?.containers[0].image;
    const timings: string[] = [];
    const measure = async (label: string, commit: string) => {
      const t0 = Date.now();
      await hook();
      const s = await convergedAt(commit);
      timings.push(
        `${label}: webhook to converged ${Date.now() - t0} ms, commit to converged ${s.status!.commitToConvergedSeconds!.toFixed(2)} s`,
      );
      return s;
    };

    // 1. First publish reaches the cluster.
    await measure('first publish', first.commit!);
    assert.equal(await image(), SEED_IMAGE);

    // 2. Publishing again with no change makes no commit.
    const again = await publishNow();
    assert.equal(again.status, 'unchanged');
    assert.equal(branchLog(deploy.bare, 'deploy').length, 1);

    // 3. The app source repo's CI bumps the image; the config repo's CI publishes it.
    const bumped = 'docker.io/kostiscodefresh/simple-web-app:4e5f6a7';
    const pin = await setImage({
      repo: configHttp.url('deploy.git'),
      branch: 'main',
      env: 'dev',
      app: 'web',
      image: bumped,
      auth: { token: TOKEN },
    });
    assert.equal(pin.status, 'updated');
    src.git('pull', '-q', '--ff-only', 'origin', 'main');
    const second = await publishNow();
    assert.equal(second.status, 'published');
    await measure('image bump', second.commit!);
    assert.equal(await image(), bumped);

    // 4. Rollback restores the earlier objects in the cluster.
    const back = await rollback({ revision: first.commit!, repo: deployUrl, branch: 'deploy', auth: { token: TOKEN } });
    assert.equal(back.status, 'rolled-back');
    await measure('rollback', back.commit);
    assert.equal(await image(), SEED_IMAGE);

    // 5. A failing app blocks publish: nothing is pushed, the cluster stays.
    src.write({
      'apps/broken.ts': `import { defineApp } from 'synthops';\nexport default defineApp({ name: 'broken', build: () => { throw new Error('missing value'); } });\n`,
    });
    src.commit('add a broken app');
    await assert.rejects(publishNow(), /synth failed, nothing was published/);
    assert.equal(branchLog(deploy.bare, 'deploy')[0].sha, back.commit);
    assert.equal(await image(), SEED_IMAGE);

    for (const line of timings) process.stdout.write(`# ${line}\n`);
  });
});
