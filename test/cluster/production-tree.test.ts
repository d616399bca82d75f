/**
 * The container image's runtime layout, proven without a Docker engine: the tree the
 * Dockerfile's runtime stage builds (compiled lib/, bin/, and the production
 * dependencies the agent loads, by the same script) in a temporary folder, running `--version` and `agent --once`
 * against the real control plane; then the agent started the way a Pod starts it
 * (in-cluster config: token and CA files, KUBERNETES_SERVICE_HOST/PORT, no kubeconfig).
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { before, describe, test } from 'node:test';
import { synthopsTree, configMap } from '../harness/agent';
import { testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { REPO_ROOT } from '../harness/config-repo';
import { TestRemote } from '../harness/git';
import { imageNodeFlags } from '../harness/image';
import { agentOnceArgs } from '../harness/once-args';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
let tree: string;

describe('production tree (the Dockerfile runtime stage)', () => {
  before(() => {
    tree = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-prod-'));
    for (const entry of ['package.json', 'package-lock.json', 'lib', 'bin'])
      fs.cpSync(path.join(REPO_ROOT, entry), path.join(tree, entry), { recursive: true });
    execFileSync('sh', [path.join(REPO_ROOT, 'test', 'tools', 'agent-runtime-deps.sh')], { cwd: tree, stdio: 'pipe' });
  });

  test('holds compiled JavaScript and the dependencies the agent loads only', () => {
    assert.equal(fs.existsSync(path.join(tree, 'src')), false);
    const installed = JSON.parse(fs.readFileSync(path.join(tree, 'node_modules', '.package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    assert.deepEqual(
      Object.entries(installed.packages)
        .filter(([, p]) => p.dev)
        .map(([k]) => k),
      [],
      'no dev-only dependency installed',
    );
    for (const pkg of ['typescript', 'ts-node', 'cdk8s', 'cdk8s-plus-28', '@kubernetes/client-node'])
      assert.equal(
        fs.existsSync(path.join(tree, 'node_modules', pkg)),
        false,
        `${pkg} is for synth and authoring, not the agent`,
      );
    // Every module of the agent's commands loads from this tree (nothing it needs was left out).
    const load = spawnSync(
      process.execPath,
      ['-e', "for (const m of ['agent', 'agent-controller']) require(process.argv[1] + '/lib/cli/' + m + '.js')", tree],
      { encoding: 'utf8' },
    );
    assert.equal(load.status, 0, load.stderr);
    const r = spawnSync(process.execPath, [path.join(tree, 'bin', 'synthops'), '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:22-[^\n]*$/m, 'a current LTS, not Node 20');
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    assert.match(
      dockerfile,
      /^RUN sh \/tmp\/agent-runtime-deps\.sh /m,
      'the image installs its dependencies with the script this tree was built with',
    );
    assert.match(dockerfile, /^USER 10001:10001$/m);
    assert.deepEqual(
      imageNodeFlags(),
      ['--optimize-for-size'],
      'the agent starts with the memory-lean V8 setting the memory benchmark measures',
    );
  });

  test('runs `agent --once` against the real control plane', async (t) => {
    const ns = await testNamespace(t);
    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('from-image', ns)] }));
    const r = spawnSync(
      process.execPath,
      [
        path.join(tree, 'bin', 'synthops'),
        ...agentOnceArgs({ repo: remote.fileUrl, namespace: ns, kubeconfig: await testKubeconfig(), timeout: '60s' }),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^shop\s+Applied\s+1\s+0\s+0\s+0\s+0\s+Healthy$/m);
  });

  test('runs as a Pod would: in-cluster config from the ServiceAccount files and the service environment', async (t) => {
    if (fs.existsSync(SA_DIR)) throw new Error(`${SA_DIR} already exists on this machine; refusing to overwrite it`);
    const ns = await testNamespace(t);
    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // A ServiceAccount allowed to run the agent in this namespace.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'agent' } } });
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'agent-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: ns }],
      },
    });
    const token = (
      await core.createNamespacedServiceAccountToken({
        name: 'agent',
        namespace: ns,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      })
    ).status!.token!;
    fs.mkdirSync(SA_DIR, { recursive: true });
    t.after(() => fs.rmSync('/var/run/secrets', { recursive: true, force: true }));
    fs.writeFileSync(path.join(SA_DIR, 'token'), token);
    fs.copyFileSync(kc.getCurrentCluster()!.caFile!, path.join(SA_DIR, 'ca.crt'));
    fs.writeFileSync(path.join(SA_DIR, 'namespace'), ns);

    const remote = TestRemote.create(t);
    remote.publish('deploy', synthopsTree('dev', { shop: [configMap('in-cluster', ns)] }));
    const server = new URL(kc.getCurrentCluster()!.server);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-home-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      KUBERNETES_SERVICE_HOST: server.hostname,
      KUBERNETES_SERVICE_PORT: server.port,
    };
    const r = spawnSync(
      process.execPath,
      [
        ...imageNodeFlags(),
        path.join(tree, 'bin', 'synthops'),
        ...agentOnceArgs({ repo: remote.fileUrl, namespace: ns, timeout: '60s' }),
      ],
      { encoding: 'utf8', env },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(
      (await core.readNamespacedConfigMap({ name: 'in-cluster', namespace: ns })).metadata?.managedFields?.find(
        (f) => f.manager === 'synthops',
      )?.operation,
      'Apply',
    );
    fs.rmSync(home, { recursive: true, force: true });
  });
});
