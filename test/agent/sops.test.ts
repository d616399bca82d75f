/**
 * SOPS-encrypted Secrets against the real plane, with the real sops and real age
 * keys: a round trip from a config repo (SopsSecret, synth, publish) to the cluster,
 * with the plaintext nowhere but in the cluster's Secret; and each bad input (wrong
 * key, missing key Secret, tampered ciphertext, MAC mismatch, other recipients,
 * half-encrypted, no key configured) refused before any write of its app, naming the
 * file and the reason, while the rest of the revision is applied and the last good
 * Secret stays.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { formatResult } from '../../src/agent/reconcile/report';
import { StatusStore } from '../../src/agent/state/status-store';
import { DIGEST_ANNOTATION } from '../../src/model/keys';
import { Manifest } from '../../src/model/manifest';
import { encryptedDigest } from '../../src/model/sops';
import { diffAgainstCluster, formatDiff } from '../../src/publish/diff';
import { publish } from '../../src/publish/publish';
import { configMap, runOnce, synthopsTree, testClient } from '../harness/agent';
import { eventually, testKubeConfig, testKubeconfig, testNamespace } from '../harness/cluster';
import { startController } from '../harness/controller';
import { TestRemote } from '../harness/git';
import { SYNTHOPS_BIN, agentOnceArgs } from '../harness/once-args';
import { startReceiver } from '../harness/receiver';
import { SourceRepo } from '../harness/source-repo';
import { KubeClient } from '../../src/kube/client';
import { kubeconfigFromObject } from '../../src/kube/kubeconfig';
import { Decryptor } from '../../src/agent/reconcile/decryption';
import { DecryptError } from '../../src/render/sops';
import {
  AgeKey,
  ageKey,
  encryptSecret,
  encryptedManifest,
  plainSecret,
  runSops,
  sopsConfig,
  stringValue,
  tamperable,
} from '../harness/sops';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const SECRET_FILE = 'apps/shop/db.sops.yaml';

/** Fresh values per run, so a match can only come from this test's Secret. */
function secretValues() {
  return { password: `pw-${randomBytes(10).toString('hex')}`, user: `user-${randomBytes(10).toString('hex')}` };
}

/** Every form of the values a leak would show: raw and base64 (the apiserver stores data base64). */
function forms(values: Record<string, string>, key?: AgeKey): string[] {
  const secretKey = key ? [/AGE-SECRET-KEY-[0-9A-Z]+/.exec(key.identity)![0]] : [];
  return [...Object.values(values).flatMap((v) => [v, b64(v)]), ...secretKey];
}

function assertNoLeak(where: string, text: string, leaks: readonly string[]): void {
  for (const l of leaks) assert.ok(!text.includes(l), `${where} holds a secret value`);
}

/** `grep -r` of a folder: only ciphertext may be on disk. */
function assertNotOnDisk(dir: string, leaks: readonly string[]): void {
  for (const l of leaks) {
    const r = spawnSync('grep', ['-r', '-l', '-F', '--', l, dir], { encoding: 'utf8' });
    assert.equal(r.status, 1, `found on disk in ${r.stdout}`);
  }
  // Something was checked: the checkout holds the encrypted file.
  assert.match(execFileSync('grep', ['-r', '-l', 'ENC\\[AES256_GCM', dir], { encoding: 'utf8' }), /secret-db\.yaml/);
}

async function createKeySecret(ns: string, name: string, ...keys: AgeKey[]): Promise<void> {
  const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
  const data = Object.fromEntries(keys.map((k, i) => [`key${i}.agekey`, b64(k.identity)]));
  await core.deleteNamespacedSecret({ name, namespace: ns }).catch(() => undefined);
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, data } });
}

async function liveSecret(ns: string): Promise<k8s.V1Secret> {
  return (await testKubeConfig()).makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ name: 'db', namespace: ns });
}

/** Everything the agent wrote to the namespace besides the Secret: inventories, AppSyncs, Events. */
async function namespaceOutputs(ns: string): Promise<string> {
  const kc = await testKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const cms = await core.listNamespacedConfigMap({ namespace: ns });
  const events = await core.listNamespacedEvent({ namespace: ns });
  const syncs = await custom
    .listNamespacedCustomObject({ group: 'synthops.dev', version: 'v1alpha1', namespace: ns, plural: 'appsyncs' })
    .catch(() => ({ items: [] }));
  return JSON.stringify([cms.items, events.items, syncs]);
}

const ENVS = `import { defineEnvironments } from 'synthops';\nexport default defineEnvironments({ dev: {} });\n`;

function apps(ns: string, round: string): Record<string, string> {
  return {
    'apps/environments.ts': ENVS,
    'apps/shop.ts': `import { k8s } from 'cdk8s-plus-28';
import { SopsSecret, defineApp } from 'synthops';
export default defineApp({ name: 'shop', namespace: '${ns}', createNamespace: false, build: (app) => {
  new SopsSecret(app, 'db', { file: '${SECRET_FILE}' });
  new k8s.KubeConfigMap(app, 'settings', { metadata: { name: 'settings' }, data: { mode: 'fast' } });
} });
`,
    'apps/other.ts': `import { k8s } from 'cdk8s-plus-28';
import { defineApp } from 'synthops';
export default defineApp({ name: 'other', namespace: '${ns}', createNamespace: false, build: (app) => {
  new k8s.KubeConfigMap(app, 'other', { metadata: { name: 'other' }, data: { round: '${round}' } });
} });
`,
  };
}

/** Writes the shop Secret in plain text and encrypts it with the real sops, before anything is committed. */
function writeEncrypted(src: SourceRepo, ns: string, values: Record<string, string>): void {
  src.write({
    [SECRET_FILE]: YAML.stringify({
      ...plainSecret('db', ns, { password: values.password }),
      data: { user: b64(values.user) },
    }),
  });
  runSops(src.root, ['encrypt', '--in-place', SECRET_FILE]);
}

function workdir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sops-agent-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A client authenticated as a ServiceAccount, with a token from the TokenRequest API (as in bootstrap.test.ts). */
async function clientAs(t: TestContext, namespace: string, name: string): Promise<KubeClient> {
  const admin = await testKubeConfig();
  const tr = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const c = new KubeClient(
    kubeconfigFromObject({
      clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority': cluster.caFile } }],
      users: [{ name, user: { token: tr.status!.token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: name } }],
      'current-context': 'c',
    }),
  );
  t.after(() => c.close());
  return c;
}

describe('agent: SOPS-encrypted Secrets', () => {
  const mine = ageKey();
  const other = ageKey();

  test('round trip: encrypted in the config repo, published, decrypted in memory by the agent; plaintext only in the cluster', async (t) => {
    const ns = await testNamespace(t, 'sops');
    const values = secretValues();
    const leaks = forms(values, mine);
    const src = SourceRepo.create(t, { '.sops.yaml': sopsConfig([mine.recipient]), ...apps(ns, '1') });
    writeEncrypted(src, ns, values);
    src.commit('shop: database Secret, encrypted');
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    await createKeySecret(ns, 'sops-age', other, mine);

    const wd = workdir(t);
    const client = await testClient(t);
    const { result } = await runOnce(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      client,
      workdir: wd,
      decryption: { secretName: 'sops-age' },
    });
    assert.equal(result.converged, true, JSON.stringify(result.apps.map((a) => a.why)));
    const shop = result.apps.find((a) => a.app === 'shop')!;
    assert.ok(shop.created.includes(`Secret ${ns}/db`), JSON.stringify(shop.created));

    const live = await liveSecret(ns);
    assert.deepEqual(live.data, { password: b64(values.password), user: b64(values.user) });
    assert.equal(live.metadata?.labels?.['synthops.dev/app'], 'shop', 'labelled after decryption');
    const dist = path.join(src.root, 'dist');
    const indexed = YAML.parse(fs.readFileSync(path.join(dist, 'dev/shop/secret-db.yaml'), 'utf8')) as Manifest;
    assert.equal(
      live.metadata?.annotations?.[DIGEST_ANNOTATION],
      encryptedDigest(indexed),
      'the digest of the encrypted document',
    );

    // No plaintext anywhere else: the report, the result, the inventories, the checkout on disk.
    assertNoLeak('the report', [...formatResult(result, false), JSON.stringify(result)].join('\n'), leaks);
    assertNoLeak('the namespace', await namespaceOutputs(ns), leaks);
    assertNotOnDisk(wd, leaks);
    assertNotOnDisk(dist, leaks);

    // diff --cluster compares the encrypted document's digest, decrypting nothing.
    assert.deepEqual(formatDiff(await diffAgainstCluster(dist, 'dev', client, ns), false), ['no differences']);
    const next = secretValues();
    runSops(src.root, ['decrypt', '--in-place', SECRET_FILE], { SOPS_AGE_KEY: mine.identity });
    writeEncrypted(src, ns, next);
    src.commit('shop: rotate the database password');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    const diff = formatDiff(await diffAgainstCluster(dist, 'dev', client, ns), false);
    assert.deepEqual(diff, [
      'dev/shop:',
      `  ~ Secret ${ns}/db (changed)`,
      '      (SOPS-encrypted: the live object was applied from another version of this file; values not compared or shown)',
      '1 object(s) differ in 1 app(s)',
    ]);
    assertNoLeak('diff --cluster', diff.join('\n'), [...leaks, ...forms(next)]);

    // The long-running agent applies the rotation: status, Events, logs, metrics and alerts stay clean.
    const receiver = await startReceiver(t);
    const agent = await startController(t, {
      repo: remote.fileUrl,
      branch: 'deploy',
      ns,
      notifyUrl: receiver.url,
      decryption: { secretName: 'sops-age' },
    });
    await eventually('rotated', async () =>
      (await liveSecret(ns)).data?.password === b64(next.password) ? true : undefined,
    );
    const store = new StatusStore(client, ns);
    await eventually('shop ready', async () =>
      (await store.get('dev', 'shop'))?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
        ? true
        : undefined,
    );

    // A tampered ciphertext: the app is refused, other goes on, the last good Secret stays.
    const tampered = fs
      .readFileSync(path.join(src.root, SECRET_FILE), 'utf8')
      .replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
    src.write({ [SECRET_FILE]: tampered, 'apps/other.ts': apps(ns, '2')['apps/other.ts'] });
    src.commit('a tampered Secret');
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    agent.controller.request('webhook', true);
    const ready = await eventually('shop refused', async () => {
      const c = (await store.get('dev', 'shop'))?.status?.conditions?.find((x) => x.type === 'Ready');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(ready.reason, 'ReconcileFailed');
    assert.match(
      ready.message,
      new RegExp(
        `not decrypted, nothing of this app was written: Secret ${ns}/db \\(dev/shop/secret-db.yaml#0\\): a value does not decrypt: the ciphertext was changed after encryption`,
      ),
    );
    const events = await store.events((await store.get('dev', 'shop'))!);
    assert.ok(
      events.some(
        (e) =>
          e.type === 'Warning' && e.reason === 'ReconcileFailed' && e.message.includes('dev/shop/secret-db.yaml#0'),
      ),
      JSON.stringify(events),
    );
    await eventually('alert', async () =>
      receiver.received.some(
        (a) =>
          a.kind === 'ReconcileFailed' && a.app === 'shop' && String(a.message).includes('a value does not decrypt'),
      )
        ? true
        : undefined,
    );
    await eventually('other applied', async () =>
      (
        await (
          await testKubeConfig()
        )
          .makeApiClient(k8s.CoreV1Api)
          .readNamespacedConfigMap({ name: 'other', namespace: ns })
      ).data?.round === '2'
        ? true
        : undefined,
    );
    assert.equal((await liveSecret(ns)).data?.password, b64(next.password), 'the last good Secret stays');

    const all = [...leaks, ...forms(next)];
    assertNoLeak('AppSync, Events, inventories', await namespaceOutputs(ns), all);
    assertNoLeak('the agent log', JSON.stringify(agent.logs), all);
    assertNoLeak('the metrics', await agent.metrics.registry.metrics(), all);
    assertNoLeak('the alerts', JSON.stringify(receiver.received), all);
  });

  test('bad input: each refused before any write of its app, naming the file and the reason; the rest applied; the last good Secret stays', async (t) => {
    const ns = await testNamespace(t, 'sopsbad');
    const remote = TestRemote.create(t);
    const good = secretValues();
    const secret = (v: Record<string, string>, recipients = [mine.recipient]) =>
      encryptedManifest(t, plainSecret('db', ns, v), recipients);
    const revision = (shop: Manifest, round: number) =>
      remote.publish(
        'deploy',
        synthopsTree('dev', {
          shop: [shop, configMap('settings', ns)],
          other: [configMap('other', ns, { round: String(round) })],
        }),
      );
    revision(secret(good), 0);
    await createKeySecret(ns, 'sops-age', mine);
    const decryption = { secretName: 'sops-age' };
    const first = (await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns, decryption })).result;
    assert.equal(first.converged, true, JSON.stringify(first.apps.map((a) => a.why)));
    const lastGood = await liveSecret(ns);
    assert.equal(lastGood.data?.password, b64(good.password));

    const bad = secretValues();
    const tamper = (m: Manifest, f: (c: ReturnType<typeof tamperable>) => void) => {
      const c = tamperable(m);
      f(c);
      return c;
    };
    const where = `Secret ${ns}/db \\(dev/shop/secret-db\\.yaml#0\\)`;
    const cases: Array<{
      what: string;
      shop: Manifest;
      key?: AgeKey[];
      decryption?: { secretName: string };
      reason: RegExp;
    }> = [
      {
        what: 'wrong key',
        shop: secret(bad),
        key: [other],
        reason: new RegExp(`encrypted for ${mine.recipient}, and no key in Secret ${ns}/sops-age opens it`),
      },
      {
        what: 'missing key Secret',
        shop: secret(bad),
        decryption: { secretName: 'sops-missing' },
        reason: new RegExp(`the decryption key Secret ${ns}/sops-missing does not exist`),
      },
      {
        what: 'no key configured',
        shop: secret(bad),
        decryption: undefined,
        reason: /SOPS-encrypted, and the agent has no decryption key \(start it with --decryption-secret\)/,
      },
      {
        what: 'tampered ciphertext',
        shop: tamper(secret(bad), (c) => {
          c.stringData.password = String(c.stringData.password).replace(
            /data:(.)/,
            (_m, x: string) => `data:${x === 'A' ? 'B' : 'A'}`,
          );
        }),
        reason: /a value does not decrypt: the ciphertext was changed after encryption, or copied from another file/,
      },
      {
        what: 'MAC mismatch',
        shop: tamper(secret(bad), (c) => {
          c.type = 'kubernetes.io/opaque';
        }),
        reason: /MAC mismatch: the document was changed after it was encrypted/,
      },
      {
        what: 'encrypted for other recipients',
        shop: secret(bad, [other.recipient]),
        reason: new RegExp(`encrypted for ${other.recipient}, and no key in Secret ${ns}/sops-age opens it`),
      },
      {
        what: 'half-encrypted',
        shop: tamper(secret(bad), (c) => {
          c.stringData.extra = bad.user;
        }),
        reason:
          /half-encrypted: stringData\.extra not encrypted \(encrypt the whole file again with synthops secret encrypt\)/,
      },
    ];
    const core = (await testKubeConfig()).makeApiClient(k8s.CoreV1Api);
    let round = 0;
    for (const c of cases) {
      round++;
      revision(c.shop, round);
      await createKeySecret(ns, 'sops-age', ...(c.key ?? [mine]));
      const { result } = await runOnce(t, {
        repo: remote.fileUrl,
        branch: 'deploy',
        ns,
        decryption: 'decryption' in c ? c.decryption : decryption,
      });
      const shop = result.apps.find((a) => a.app === 'shop')!;
      assert.equal(shop.status, 'Failed', `${c.what}: ${shop.why}`);
      assert.deepEqual(
        shop.problems.map((p) => p.kind),
        ['decryption'],
        c.what,
      );
      assert.deepEqual(
        [shop.created, shop.configured, shop.unchanged],
        [[], [], []],
        `${c.what}: nothing of the app was looked at or written`,
      );
      assert.match(
        shop.why,
        new RegExp(`^not decrypted, nothing of this app was written: ${where}: ${c.reason.source}$`),
        c.what,
      );
      assertNoLeak(c.what, [...formatResult(result, false), JSON.stringify(result)].join('\n'), [
        ...forms(good),
        ...forms(bad),
      ]);
      const rest = result.apps.find((a) => a.app === 'other')!;
      assert.equal(rest.converged, true, `${c.what}: the rest of the revision is applied`);
      assert.equal((await core.readNamespacedConfigMap({ name: 'other', namespace: ns })).data?.round, String(round));
      const live = await liveSecret(ns);
      assert.equal(
        live.metadata?.resourceVersion,
        lastGood.metadata?.resourceVersion,
        `${c.what}: the Secret was not written`,
      );
      assert.equal(live.data?.password, b64(good.password));
    }
    assertNoLeak('the namespace', await namespaceOutputs(ns), [...forms(good), ...forms(bad)]);
  });

  test('plain YAML through the CLI: `agent --once --decryption-secret`, a SOPS file committed as sops wrote it, read as kubectl reads YAML', async (t) => {
    const ns = await testNamespace(t, 'sopsplain');
    const values = secretValues();
    const remote = TestRemote.create(t);
    const text = encryptSecret(
      t,
      { ...plainSecret('db', ns, { password: values.password }), data: { user: b64(values.user) } } as Manifest,
      [mine.recipient],
    );
    remote.publish('deploy', { 'db.sops.yaml': text, 'settings.yaml': YAML.stringify(configMap('settings', ns)) });
    await createKeySecret(ns, 'sops-age', mine);
    const wd = workdir(t);
    const cli = spawnSync(
      process.execPath,
      [
        SYNTHOPS_BIN,
        ...agentOnceArgs({
          repo: remote.fileUrl,
          app: 'shop',
          namespace: ns,
          workdir: wd,
          kubeconfig: await testKubeconfig(),
          timeout: '60s',
          extra: ['--decryption-secret', 'sops-age'],
        }),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^shop\s+Applied\s+2\s/m);
    assert.deepEqual((await liveSecret(ns)).data, { password: b64(values.password), user: b64(values.user) });
    assertNoLeak('the CLI output', cli.stdout + cli.stderr, forms(values, mine));
    for (const l of forms(values, mine))
      assert.equal(spawnSync('grep', ['-r', '-l', '-F', '--', l, wd]).status, 1, 'only ciphertext on disk');
  });

  test('least privilege: with its own ServiceAccount token the agent reads its decryption Secret, by name, and no other Secret', async (t) => {
    const base = await testNamespace(t, 'sopsrbac');
    const agentNs = `${base}-agent`;
    const kc = await testKubeConfig();
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    t.after(async () => {
      await rbac.deleteClusterRoleBinding({ name: `synthops-agent-${agentNs}` }).catch(() => undefined);
      await rbac.deleteClusterRole({ name: `synthops-agent-${agentNs}` }).catch(() => undefined);
      await core.deleteNamespace({ name: agentNs }).catch(() => undefined);
    });
    const src = SourceRepo.create(t, {
      'apps/environments.ts': ENVS,
      'apps/synthops-agent.ts': `import { AgentInstall, defineApp } from 'synthops';
export default defineApp({ name: 'synthops-agent', namespace: '${agentNs}', build: (app) => {
  new AgentInstall(app, 'agent', { repo: 'file:///deploy.git', branch: 'deploy', image: 'ghcr.io/example/synthops:0.1.0', decryptionSecret: 'sops-age' });
} });
`,
    });
    const remote = TestRemote.create(t);
    await publish({ root: src.root, repo: remote.fileUrl, branch: 'deploy' });
    // Installed by an admin, as bootstrap does.
    const installed = (
      await runOnce(t, { repo: remote.fileUrl, branch: 'deploy', ns: agentNs, defaultNamespace: agentNs })
    ).result;
    assert.equal(installed.converged, true, JSON.stringify(installed.apps.map((a) => a.why)));
    const deployment = await kc
      .makeApiClient(k8s.AppsV1Api)
      .readNamespacedDeployment({ name: 'synthops-agent', namespace: agentNs });
    const args = deployment.spec!.template.spec!.containers[0].args!;
    assert.equal(args[args.indexOf('--decryption-secret') + 1], 'sops-age');

    await createKeySecret(agentNs, 'sops-age', mine);
    await core.createNamespacedSecret({
      namespace: agentNs,
      body: { metadata: { name: 'not-yours' }, stringData: { token: 'x' } },
    });
    const asAgent = await clientAs(t, agentNs, 'synthops-agent');
    assert.ok(await asAgent.getOrUndefined(`/api/v1/namespaces/${agentNs}/secrets/sops-age`), 'its own key Secret');
    for (const p of [
      `/api/v1/namespaces/${agentNs}/secrets/not-yours`,
      `/api/v1/namespaces/${agentNs}/secrets`,
      '/api/v1/secrets',
    ]) {
      await assert.rejects(asAgent.request('GET', p), (e: { status?: number }) => e.status === 403, p);
    }
    // The decryptor as the agent: its Secret opens the document; another one is refused clearly.
    const values = secretValues();
    const doc = encryptedManifest(t, plainSecret('db', base, values), [mine.recipient]);
    assert.equal(
      stringValue(await new Decryptor(asAgent, { name: 'sops-age', namespace: agentNs }).decrypt(doc), 'password'),
      values.password,
    );
    await assert.rejects(
      new Decryptor(asAgent, { name: 'not-yours', namespace: agentNs }).decrypt(doc),
      (e: unknown) =>
        e instanceof DecryptError &&
        e.failure === 'no-key' &&
        /the decryption key Secret .*\/not-yours cannot be read: .*forbidden/.test(e.message),
    );
  });
});
