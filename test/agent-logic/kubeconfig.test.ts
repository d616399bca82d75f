import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import { KubeconfigError } from '../../src/kube/errors';
import { KubeClient } from '../../src/kube/client';
import {
  kubeconfigFromObject,
  loadDefaultKubeconfig,
  loadInCluster,
  loadKubeconfig,
  loadKubeconfigFiles,
} from '../../src/kube/kubeconfig';

/** A temp dir with `files` written into it; removed after the test. */
function dir(t: TestContext, files: Record<string, string> = {}): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-kc-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.writeFileSync(path.join(d, rel), content);
  }
  return d;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A one-context kubeconfig with the given cluster and user fields. */
function config(cluster: Record<string, unknown>, user: Record<string, unknown> | undefined): string {
  const c = Object.entries({ server: 'https://api.example:6443', ...cluster })
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const u = user
    ? Object.entries(user)
        .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
        .join('\n')
    : '';
  return `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c
  cluster:
${c}
users:
- name: u
  user:
${u || '    {}'}
contexts:
- name: main
  context:
    cluster: c
    ${user ? 'user: u' : ''}
    namespace: team
`;
}

function rejects(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof KubeconfigError, `expected a KubeconfigError, got ${e}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('kubeconfig', () => {
  test('token user, CA data, tls-server-name: server, namespace and request options', async (t) => {
    const d = dir(t, {
      config: config(
        {
          server: 'https://api.example:6443/',
          'certificate-authority-data': b64('CA'),
          'tls-server-name': 'kube.internal',
        },
        { token: 'abc' },
      ),
    });
    const a = loadKubeconfig(path.join(d, 'config'));
    assert.equal(a.server, 'https://api.example:6443');
    assert.equal(a.namespace, 'team');
    assert.equal(a.source, `kubeconfig ${path.join(d, 'config')} (context "main")`);
    assert.deepEqual(await a.requestOptions(), {
      ca: Buffer.from('CA'),
      servername: 'kube.internal',
      headers: { Authorization: 'Bearer abc' },
    });
  });

  test('tokenFile and certificate files are relative to the kubeconfig folder; token files are re-read on each call', async (t) => {
    const d = dir(t, {
      'sub/config': config(
        { 'certificate-authority': 'pki/ca.crt' },
        { tokenFile: 'token', 'client-certificate': 'pki/client.crt', 'client-key': '../key.pem' },
      ),
      'sub/pki/ca.crt': 'CA',
      'sub/pki/client.crt': 'CERT',
      'key.pem': 'KEY',
      'sub/token': 'one\n',
    });
    const cwd = process.cwd();
    process.chdir(os.tmpdir()); // relative paths must not depend on the working directory
    t.after(() => process.chdir(cwd));
    const a = loadKubeconfig(path.join(d, 'sub/config'));
    assert.deepEqual(await a.requestOptions(), {
      ca: Buffer.from('CA'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      headers: { Authorization: 'Bearer one' },
    });
    fs.writeFileSync(path.join(d, 'sub/token'), 'two');
    assert.equal((await a.requestOptions()).headers.Authorization, 'Bearer two');
  });

  test('client certificate data wins over files; insecure-skip-tls-verify; basic auth; impersonation', async (t) => {
    const d = dir(t, {
      config: config(
        { 'insecure-skip-tls-verify': true },
        {
          'client-certificate-data': b64('CERT'),
          'client-certificate': 'missing.crt',
          'client-key-data': b64('KEY'),
          username: 'ann',
          password: 's3cret',
          as: 'bob',
        },
      ),
    });
    const o = await loadKubeconfig(path.join(d, 'config')).requestOptions();
    assert.deepEqual(o, {
      rejectUnauthorized: false,
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY'),
      headers: { Authorization: `Basic ${b64('ann:s3cret')}`, 'Impersonate-User': 'bob' },
    });
  });

  test('a context without a user is anonymous; the context can be overridden', async (t) => {
    const d = dir(t, { config: config({}, undefined) });
    assert.deepEqual(await loadKubeconfig(path.join(d, 'config')).requestOptions(), { headers: {} });
    rejects(
      () => loadKubeconfig(path.join(d, 'config'), { context: 'other' }),
      `kubeconfig ${path.join(d, 'config')}: context "other" is not defined`,
    );
  });

  test('KUBECONFIG with several files merges them: the first definition of each name, and the first current-context, win', async (t) => {
    const d = dir(t, {
      'a/config': `current-context: dev
clusters:
- name: shared
  cluster: {server: "https://a.example", certificate-authority: ca.crt}
users:
- name: me
  user: {tokenFile: token}
contexts:
- name: dev
  context: {cluster: shared, user: me}
`,
      'a/ca.crt': 'CA-A',
      'a/token': 'token-a',
      'b/config': `current-context: prod
clusters:
- name: shared
  cluster: {server: "https://b.example"}
- name: prod
  cluster: {server: "https://prod.example", certificate-authority: ca.crt}
users:
- name: me
  user: {token: from-b}
- name: ops
  user: {tokenFile: token}
contexts:
- name: prod
  context: {cluster: prod, user: ops, namespace: ops}
`,
      'b/ca.crt': 'CA-B',
      'b/token': 'token-b',
    });
    const env = { KUBECONFIG: ['', path.join(d, 'a/config'), path.join(d, 'b/config')].join(path.delimiter) };
    const dev = loadDefaultKubeconfig({ env });
    assert.equal(dev.server, 'https://a.example');
    assert.deepEqual(await dev.requestOptions(), {
      ca: Buffer.from('CA-A'),
      headers: { Authorization: 'Bearer token-a' },
    });
    // Entries defined only in the second file resolve their paths against its folder.
    const prod = loadDefaultKubeconfig({ env, context: 'prod' });
    assert.equal(prod.server, 'https://prod.example');
    assert.equal(prod.namespace, 'ops');
    assert.deepEqual(await prod.requestOptions(), {
      ca: Buffer.from('CA-B'),
      headers: { Authorization: 'Bearer token-b' },
    });
  });

  test('errors name the file and the entry', (t) => {
    const d = dir(t, {
      'no-user': config({}, { token: 'x' }).replace('user: u', 'user: bar'),
      'no-cluster': config({}, { token: 'x' }).replace('cluster: c', 'cluster: gone'),
      'no-context': config({}, { token: 'x' }).replace('current-context: main', 'current-context: foo'),
      'no-current': config({}, { token: 'x' }).replace('current-context: main', ''),
      'no-server': config({ server: '' }, { token: 'x' }),
      'bad-server': config({ server: 'api.example' }, { token: 'x' }),
      'ftp-server': config({ server: 'ftp://api.example' }, { token: 'x' }),
      'bad-field': config({ 'insecure-skip-tls-verify': 'yes' }, { token: 'x' }),
      'no-key': config({}, { 'client-certificate-data': b64('CERT') }),
      'missing-ca': config({ 'certificate-authority': 'nope/ca.crt' }, { token: 'x' }),
      'missing-token': config({}, { tokenFile: 'token' }),
      unnamed: 'clusters:\n- cluster: {server: "https://x"}\n',
      yaml: 'clusters: [\n',
      list: '- a\n',
    });
    const f = (n: string) => path.join(d, n);
    rejects(
      () => loadKubeconfig(f('no-user')),
      `kubeconfig ${f('no-user')}: context "main" names user "bar" that is not defined`,
    );
    rejects(
      () => loadKubeconfig(f('no-cluster')),
      `kubeconfig ${f('no-cluster')}: context "main" names cluster "gone" that is not defined`,
    );
    rejects(() => loadKubeconfig(f('no-context')), `kubeconfig ${f('no-context')}: context "foo" is not defined`);
    rejects(
      () => loadKubeconfig(f('no-current')),
      `kubeconfig ${f('no-current')}: no current-context is set and no context was given`,
    );
    rejects(() => loadKubeconfig(f('no-server')), `kubeconfig ${f('no-server')}: cluster "c": server is missing`);
    rejects(
      () => loadKubeconfig(f('bad-server')),
      `kubeconfig ${f('bad-server')}: cluster "c": server "api.example" is not a URL`,
    );
    rejects(
      () => loadKubeconfig(f('ftp-server')),
      `kubeconfig ${f('ftp-server')}: cluster "c": server "ftp://api.example" is not http(s)`,
    );
    rejects(
      () => loadKubeconfig(f('bad-field')),
      `kubeconfig ${f('bad-field')}: cluster "c": insecure-skip-tls-verify must be true or false`,
    );
    rejects(
      () => loadKubeconfig(f('no-key')),
      `kubeconfig ${f('no-key')}: user "u": client-certificate and client-key must be set together`,
    );
    rejects(
      () => loadKubeconfig(f('missing-ca')),
      `kubeconfig ${f('missing-ca')}: cluster "c": certificate-authority ${f('nope/ca.crt')} cannot be read (ENOENT)`,
    );
    rejects(
      () => loadKubeconfig(f('missing-token')),
      `kubeconfig ${f('missing-token')}: user "u": tokenFile ${f('token')} cannot be read (ENOENT)`,
    );
    rejects(() => loadKubeconfig(f('unnamed')), `kubeconfig ${f('unnamed')}: clusters[0] has no name`);
    rejects(() => loadKubeconfig(f('yaml')), new RegExp(`^kubeconfig ${f('yaml')}: malformed YAML: `));
    rejects(() => loadKubeconfig(f('list')), `kubeconfig ${f('list')}: not a kubeconfig (expected a map)`);
    rejects(() => loadKubeconfig(f('absent')), `kubeconfig ${f('absent')}: cannot be read (ENOENT)`);
    // With several files, a missing reference says it is missing from all of them.
    rejects(
      () => loadKubeconfigFiles([f('no-user'), f('no-cluster')]),
      `kubeconfig ${f('no-user')}: context "main" names user "bar" that is not defined in any of the 2 files`,
    );
  });

  test('fields synthops cannot honour are refused for the context in use, never silently ignored', (t) => {
    const d = dir(t, {
      proxy: config({ 'proxy-url': 'http://proxy.example:3128' }, { token: 'x' }),
      groups: config({}, { token: 'x', as: 'jane', 'as-groups': ['admins'] }),
      uid: config({}, { token: 'x', as: 'jane', 'as-uid': '42' }),
      // The same fields on entries no context in use names are fine.
      other: config({}, { token: 'x' })
        .replace(
          'clusters:',
          'clusters:\n- name: far\n  cluster: {server: "https://far.example", proxy-url: "http://p:1"}',
        )
        .replace('users:', 'users:\n- name: g\n  user: {as: jane, as-groups: [admins]}'),
    });
    const f = (n: string) => path.join(d, n);
    rejects(
      () => loadKubeconfig(f('proxy')),
      `kubeconfig ${f('proxy')}: cluster "c": proxy-url is not supported by synthops; give it a context that reaches the API server directly`,
    );
    rejects(
      () => loadKubeconfig(f('groups')),
      /^kubeconfig .*groups: user "u": as-groups is not supported by synthops \(impersonation with groups, uid or extra\)/,
    );
    rejects(() => loadKubeconfig(f('uid')), /user "u": as-uid is not supported by synthops/);
    assert.equal(loadKubeconfig(f('other')).server, 'https://api.example:6443');
  });

  test('in-cluster: service host and port from the env, CA, namespace, and a token that is re-read', async (t) => {
    const root = dir(t, { token: 'sa-1\n', 'ca.crt': 'CLUSTER-CA', namespace: 'agents\n' });
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const a = loadInCluster({ env, inClusterRoot: root });
    assert.equal(a.server, 'https://10.96.0.1:443');
    assert.equal(a.namespace, 'agents');
    assert.equal(a.source, `in-cluster config ${root}`);
    assert.deepEqual(await a.requestOptions(), {
      ca: Buffer.from('CLUSTER-CA'),
      headers: { Authorization: 'Bearer sa-1' },
    });
    fs.writeFileSync(path.join(root, 'token'), 'sa-2');
    assert.equal((await a.requestOptions()).headers.Authorization, 'Bearer sa-2');

    assert.equal(
      loadInCluster({
        env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' },
        inClusterRoot: root,
      }).server,
      'https://[fd00::1]:6443',
    );
    assert.equal(
      loadInCluster({ env: { KUBERNETES_SERVICE_HOST: 'kube', KUBERNETES_SERVICE_PORT: '8080' }, inClusterRoot: root })
        .server,
      'http://kube:8080',
    );
    rejects(
      () => loadInCluster({ env: {}, inClusterRoot: root }),
      `in-cluster config ${root}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (they are in every pod)`,
    );
    fs.rmSync(path.join(root, 'ca.crt'));
    rejects(
      () => loadInCluster({ env, inClusterRoot: root }),
      `in-cluster config ${root}: cluster "in-cluster": certificate-authority ${path.join(root, 'ca.crt')} cannot be read (ENOENT)`,
    );
  });

  test('default chain: KUBECONFIG, then ~/.kube/config, then in-cluster, else an error', (t) => {
    const home = dir(t, {
      '.kube/config': config({ server: 'https://home.example' }, { token: 'h' }),
      other: config({ server: 'https://env.example' }, { token: 'e' }),
    });
    const root = dir(t, { token: 't', 'ca.crt': 'CA' });
    const empty = dir(t);
    const inCluster = { KUBERNETES_SERVICE_HOST: 'kube', KUBERNETES_SERVICE_PORT: '443' };
    assert.equal(
      loadDefaultKubeconfig({
        env: { KUBECONFIG: path.join(home, 'other'), HOME: home, ...inCluster },
        inClusterRoot: root,
      }).server,
      'https://env.example',
    );
    assert.equal(
      loadDefaultKubeconfig({ env: { HOME: home, ...inCluster }, inClusterRoot: root }).server,
      'https://home.example',
    );
    assert.equal(
      loadDefaultKubeconfig({ env: { HOME: empty, ...inCluster }, inClusterRoot: root }).server,
      'https://kube:443',
    );
    rejects(
      () => loadDefaultKubeconfig({ env: { HOME: empty }, inClusterRoot: empty }),
      /^kubeconfig: none found: KUBECONFIG is not set, .* does not exist \(not in a pod\)$/,
    );
  });

  test('exec users go through client-node, which is loaded only then', async (t) => {
    const d = dir(t, {
      config: config(
        { 'certificate-authority-data': b64('CA') },
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            interactiveMode: 'Never',
            command: process.execPath,
            args: [
              '-e',
              'console.log(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "from-exec" } }))',
            ],
          },
        },
      ),
    });
    const loaded = () => Object.keys(require.cache).some((k) => k.includes(`${path.sep}client-node${path.sep}`));
    assert.equal(loaded(), false, 'client-node is not loaded by the test file itself');
    const a = loadKubeconfig(path.join(d, 'config'));
    assert.equal(loaded(), false, 'loading the kubeconfig does not load client-node');
    const o = await a.requestOptions();
    assert.equal(loaded(), true);
    assert.equal(o.headers.Authorization, 'Bearer from-exec');
    assert.deepEqual(o.ca, Buffer.from('CA'));
  });

  test("KubeClient sends the credentials on the wire; impersonation overrides the kubeconfig's", async (t) => {
    const seen: http.IncomingHttpHeaders[] = [];
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      paths.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const access = kubeconfigFromObject({
      'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } }],
      users: [{ name: 'u', user: { token: 'tok', as: 'someone' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    });
    const client = new KubeClient(access);
    t.after(() => client.close());
    assert.deepEqual(await client.request('GET', '/version'), { ok: true });
    await client.impersonating('ns/sa').request('GET', '/version');
    assert.equal(seen[0].authorization, 'Bearer tok');
    assert.equal(seen[0]['impersonate-user'], 'someone');
    assert.equal(seen[1].authorization, 'Bearer tok');
    assert.equal(seen[1]['impersonate-user'], 'system:serviceaccount:ns:sa');

    // A server URL with a path (an API proxy such as Rancher's) keeps it.
    const proxied = new KubeClient(
      kubeconfigFromObject({
        'current-context': 'c',
        clusters: [
          {
            name: 'c',
            cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}/k8s/clusters/c-1/` },
          },
        ],
        users: [{ name: 'u', user: { token: 'tok' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
      }),
    );
    t.after(() => proxied.close());
    await proxied.request('GET', '/api/v1/namespaces', { query: { limit: '1' } });
    assert.equal(paths[2], '/k8s/clusters/c-1/api/v1/namespaces?limit=1');
  });

  test('as kubectl: a token file wins over an inline token, missing KUBECONFIG files are skipped, insecure with a CA is refused, YAML errors quote no secret', async (t) => {
    const d = dir(t, {
      config: config({}, { token: 'stale', tokenFile: 'tok' }),
      tok: 'fresh\n',
      bad: 'users:\n- user: {token: SECRET-VALUE\n',
    });
    assert.equal((await loadKubeconfig(path.join(d, 'config')).requestOptions()).headers.Authorization, 'Bearer fresh');
    const env = { KUBECONFIG: [path.join(d, 'missing'), path.join(d, 'config')].join(path.delimiter) };
    assert.equal(loadDefaultKubeconfig({ env }).server, 'https://api.example:6443');
    rejects(
      () => loadDefaultKubeconfig({ env: { KUBECONFIG: path.join(d, 'missing') } }),
      /none of the KUBECONFIG files exist/,
    );
    const insecure = dir(t, {
      config: config({ 'insecure-skip-tls-verify': true, 'certificate-authority-data': b64('CA') }, { token: 'x' }),
    });
    await assert.rejects(
      async () => loadKubeconfig(path.join(insecure, 'config')).requestOptions(),
      /certificate-authority and insecure-skip-tls-verify together are not allowed/,
    );
    assert.throws(
      () => loadKubeconfig(path.join(d, 'bad')),
      (e: Error) => /malformed YAML/.test(e.message) && !e.message.includes('SECRET-VALUE'),
    );
  });
});
