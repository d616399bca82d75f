/**
 * Notification formats against a local HTTP server: Teams and Discord payloads, commit
 * statuses on GitHub- and GitLab-compatible forges (path, auth header, states, order),
 * message templates, and a failing endpoint that is logged without its token.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { createLogger, silentLogger } from '../../src/agent/controller/log';
import { Notifier } from '../../src/agent/controller/notify';
import { commitStateOf, forgeRepoPath, statusTarget } from '../../src/agent/controller/notify-payload';
import { renderTemplate, unknownPlaceholders } from '../../src/agent/controller/notify-template';
import { notifySettings } from '../../src/cli/notify-flags';
import { UsageError } from '../../src/model/errors';
import { ReceivedRequest, startReceiver } from '../harness/receiver';

const DEPLOY = 'd'.repeat(40);
const SOURCE = 'c'.repeat(40);
const TOKEN = 'ghp_not-a-real-token-0123456789';

function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger('debug', { write: (l: string) => void lines.push(l) }), lines };
}

function tokenFile(t: { after: (fn: () => void) => void }, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-notify-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'token'), `${content}\n`);
  return path.join(dir, 'token');
}

/** A fake GitHub: 401 without the right Bearer token, 422 for anything but a status POST of a known repo. */
function github(r: ReceivedRequest): number {
  if (r.headers.authorization !== `Bearer ${TOKEN}`) return 401;
  if (r.method !== 'POST' || !/^\/repos\/acme\/config\/statuses\/[0-9a-f]{40}$/.test(r.path)) return 404;
  const b = r.body;
  const ok =
    ['pending', 'success', 'failure', 'error'].includes(String(b.state)) &&
    typeof b.context === 'string' &&
    typeof b.description === 'string' &&
    b.description.length <= 140;
  return ok ? 201 : 422;
}

/** A fake GitLab: the project path URL-encoded, the token in PRIVATE-TOKEN. */
function gitlab(r: ReceivedRequest): number {
  if (r.headers['private-token'] !== TOKEN) return 401;
  if (r.headers.authorization !== undefined) return 400;
  if (!/^\/api\/v4\/projects\/group%2Fsub%2Fconfig\/statuses\/[0-9a-f]{40}$/.test(r.path)) return 404;
  return ['pending', 'running', 'success', 'failed', 'canceled'].includes(String(r.body.state)) &&
    typeof r.body.name === 'string'
    ? 201
    : 400;
}

describe('chat formats', () => {
  test('Teams gets an Adaptive Card message, Discord content and an embed; a template words both', async (t) => {
    const teams = await startReceiver(t);
    const n = new Notifier(teams.url, 'msteams', silentLogger(), 10);
    n.send({
      kind: 'HealthDegraded',
      app: 'shop',
      env: 'prod',
      revision: DEPLOY,
      message: 'Deployment web: 0/3 ready',
    });
    await n.flush();
    const msg = teams.received[0] as {
      type: string;
      attachments: Array<{ contentType: string; content: { type: string; version: string; body: unknown[] } }>;
    };
    assert.equal(msg.type, 'message');
    assert.equal(msg.attachments.length, 1);
    assert.equal(msg.attachments[0].contentType, 'application/vnd.microsoft.card.adaptive');
    const card = msg.attachments[0].content;
    assert.equal(card.type, 'AdaptiveCard');
    assert.deepEqual(card.body[1], {
      type: 'TextBlock',
      text: `synthops HealthDegraded (app shop, env prod, revision ${DEPLOY.slice(0, 12)}): Deployment web: 0/3 ready`,
      wrap: true,
    });
    assert.deepEqual((card.body[2] as { facts: unknown }).facts, [
      { title: 'app', value: 'shop' },
      { title: 'env', value: 'prod' },
      { title: 'revision', value: DEPLOY.slice(0, 12) },
    ]);
    assert.equal(teams.requests[0].headers['content-type'], 'application/json');

    const discord = await startReceiver(t);
    const d = new Notifier(discord.url, 'discord', silentLogger(), 10, {
      template: '{{app}}@{{env}} {{reason}}: {{message}} ({{revision}})',
    });
    d.send({ kind: 'DriftRepaired', app: 'shop', env: 'prod', revision: DEPLOY, message: 'restored ConfigMap x' });
    await d.flush();
    const body = discord.received[0] as {
      content: string;
      embeds: Array<{ title: string; color: number; fields: unknown[] }>;
    };
    assert.equal(body.content, `shop@prod DriftRepaired: restored ConfigMap x (${DEPLOY.slice(0, 12)})`);
    assert.equal(body.embeds[0].title, 'synthops DriftRepaired');
    assert.equal(typeof body.embeds[0].color, 'number');
    assert.deepEqual(body.embeds[0].fields[0], { name: 'app', value: 'shop', inline: true });

    // Slack and JSON keep their payloads; JSON adds `text` only with a template.
    const json = await startReceiver(t);
    const j = new Notifier(json.url, 'json', silentLogger(), 10, { template: '{{reason}} {{app}}' });
    j.send({ kind: 'PruneHeld', app: 'shop', message: 'held' });
    await j.flush();
    assert.equal(json.received[0].text, 'PruneHeld shop');
    assert.equal(json.received[0].kind, 'PruneHeld');
  });

  test('chat formats ignore sync states; forge formats ignore app alerts', async (t) => {
    const chat = await startReceiver(t);
    const n = new Notifier(chat.url, 'slack', silentLogger(), 10);
    n.sync({ app: 'shop', env: 'dev', revision: DEPLOY, reason: 'ReconciliationSucceeded', message: 'ok' });
    const forge = await startReceiver(t, 0, github);
    const g = new Notifier(forge.url, 'github', silentLogger(), 10, { token: TOKEN, repo: 'acme/config' });
    g.send({ kind: 'HealthDegraded', app: 'shop', revision: DEPLOY, message: 'x' });
    await Promise.all([n.flush(), g.flush()]);
    assert.equal(chat.attempts() + forge.attempts(), 0);
  });
});

describe('commit statuses', () => {
  test('GitHub: Bearer token, context synthops/<env>/<app> on the source commit, states in order, repeats skipped', async (t) => {
    const forge = await startReceiver(t, 0, github);
    const base = forge.url.replace(/\/hook$/, '');
    const n = new Notifier(base, 'github', silentLogger(), 10, {
      token: TOKEN,
      deployRepo: 'https://git.example.com/acme/deploy.git',
    });
    const at = { env: 'prod', revision: DEPLOY, sourceCommit: SOURCE, sourceRepo: 'https://github.com/acme/config' };
    n.sync({ app: 'shop', ...at, reason: 'Progressing', message: 'applying' });
    n.sync({ app: 'shop', ...at, reason: 'Progressing', message: 'waiting for Deployment web' });
    n.sync({ app: 'shop', ...at, reason: 'ReconciliationSucceeded', message: `applied revision ${DEPLOY}` });
    n.sync({ app: 'cart', ...at, reason: 'HealthCheckFailed', message: 'x'.repeat(300) });
    n.sync({ app: 'auth', ...at, reason: 'ReconcileFailed', message: 'admission denied' });
    n.sync({ app: 'idle', ...at, reason: 'Suspended', message: 'suspended' });
    await n.flush();
    assert.deepEqual(
      forge.requests.map((r) => r.path),
      Array(4).fill(`/repos/acme/config/statuses/${SOURCE}`),
    );
    assert.ok(forge.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
    assert.ok(forge.requests.every((r) => r.headers['user-agent'] === 'synthops'));
    assert.equal(forge.received.length, 4, 'every request had the shape the forge wants');
    const byContext = (c: string) => forge.received.filter((b) => b.context === c).map((b) => b.state);
    assert.deepEqual(byContext('synthops/prod/shop'), ['pending', 'success']);
    assert.deepEqual(byContext('synthops/prod/cart'), ['failure']);
    assert.deepEqual(byContext('synthops/prod/auth'), ['error']);
    assert.equal(String(forge.received.find((b) => b.context === 'synthops/prod/cart')!.description).length, 140);

    // No Source-Commit trailer: the deploy commit, in the deploy repo (--repo).
    const deploy = await startReceiver(t, 0, (r) =>
      r.path === `/repos/acme/deploy/statuses/${DEPLOY}` && r.headers.authorization === `Bearer ${TOKEN}` ? 201 : 404,
    );
    const m = new Notifier(deploy.url.replace(/\/hook$/, ''), 'github', silentLogger(), 10, {
      token: TOKEN,
      deployRepo: 'https://git.example.com/acme/deploy.git',
    });
    m.sync({ app: 'shop', env: 'prod', revision: DEPLOY, reason: 'ReconciliationSucceeded', message: 'ok' });
    await m.flush();
    assert.deepEqual(deploy.received, [{ state: 'success', context: 'synthops/prod/shop', description: 'ok' }]);
  });

  test('GitLab: PRIVATE-TOKEN, URL-encoded project path, running/success/failed, a template for descriptions', async (t) => {
    const forge = await startReceiver(t, 0, gitlab);
    const n = new Notifier(`${forge.url.replace(/\/hook$/, '')}/`, 'gitlab', silentLogger(), 10, {
      token: TOKEN,
      repo: 'group/sub/config',
      template: '{{env}}: {{reason}}',
    });
    const at = { env: 'prod', revision: DEPLOY, sourceCommit: SOURCE };
    n.sync({ app: 'shop', ...at, reason: 'DependencyNotReady', message: 'waits for db' });
    n.sync({ app: 'shop', ...at, reason: 'Progressing', message: 'applying' });
    n.sync({ app: 'shop', ...at, reason: 'ReconciliationSucceeded', message: 'applied' });
    n.sync({ app: 'cart', ...at, reason: 'PruneHeld', message: 'held' });
    // A revision that could not be loaded at all: one status for the whole sync.
    n.send({ kind: 'ReconcileFailed', revision: DEPLOY, sourceCommit: SOURCE, message: 'index.json is malformed' });
    await n.flush();
    assert.equal(forge.received.length, 5, JSON.stringify(forge.requests.map((r) => r.path)));
    assert.ok(forge.requests.every((r) => r.path === `/api/v4/projects/group%2Fsub%2Fconfig/statuses/${SOURCE}`));
    // In order per status; statuses of different apps go independently.
    const order = ['synthops/prod/shop', 'synthops/prod/cart', 'synthops'];
    assert.deepEqual(
      forge.received
        .map((b) => `${b.name} ${b.state} ${b.description}`)
        .sort((a, b) => order.indexOf(a.split(' ')[0]) - order.indexOf(b.split(' ')[0])),
      [
        'synthops/prod/shop pending prod: DependencyNotReady',
        'synthops/prod/shop running prod: Progressing',
        'synthops/prod/shop success prod: ReconciliationSucceeded',
        'synthops/prod/cart failed prod: PruneHeld',
        'synthops failed : BuildFailed',
      ],
    );
  });

  test('a refusing or broken endpoint is logged with its status code, never the token, and never throws', async (t) => {
    const forge = await startReceiver(t, 0, () => 401);
    const { log, lines } = capture();
    const n = new Notifier(forge.url.replace(/\/hook$/, ''), 'github', log, 1, { token: TOKEN, repo: 'acme/config' });
    n.sync({ app: 'shop', env: 'prod', revision: DEPLOY, reason: 'ReconciliationSucceeded', message: 'ok' });
    await n.flush();
    assert.equal(forge.attempts(), 1, 'a 401 is not retried');
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'notification delivery failed');
    assert.equal(failed.code, 401);
    assert.equal(failed.app, 'shop');

    const down = await startReceiver(t, 100);
    const d = new Notifier(down.url, 'github', log, 1, { token: TOKEN, repo: 'acme/config' });
    d.sync({ app: 'shop', env: 'prod', revision: DEPLOY, reason: 'Progressing', message: 'x' });
    await d.flush();
    assert.equal(down.attempts(), 4, 'a 500 is retried');
    assert.ok(lines.some((l) => JSON.parse(l).msg === 'notification dropped after retries'));
    assert.ok(lines.length > 0 && lines.every((l) => !l.includes(TOKEN)), 'the token is never logged');
  });
});

describe('notification settings and pure helpers', () => {
  test('templates: unknown placeholders are a usage error at start; a token is required for forges', (t) => {
    assert.deepEqual(unknownPlaceholders('{{app}} {{ nope }} {{message}} {{nope}} {{Rev}}'), ['nope', 'Rev']);
    assert.equal(renderTemplate('{{ app }}/{{env}}!', { app: 'a' }), 'a/!');
    assert.throws(
      () => notifySettings({ notifyFormat: 'slack', notifyTemplate: '{{app}} {{sha}}' }, 'file:///x'),
      (e: Error) => e instanceof UsageError && /unknown placeholder \{\{sha\}\}/.test(e.message),
    );
    assert.throws(
      () => notifySettings({ notifyFormat: 'teams' }, 'file:///x'),
      (e: Error) => e instanceof UsageError && /json, slack, msteams, discord, github, gitlab/.test(e.message),
    );
    assert.throws(
      () => notifySettings({ notifyFormat: 'github', notifyUrl: 'https://api.github.com' }, 'file:///x'),
      (e: Error) => e instanceof UsageError && /needs --notify-token-file/.test(e.message),
    );
    const file = tokenFile(t, TOKEN);
    const ok = notifySettings(
      { notifyFormat: 'gitlab', notifyUrl: 'https://gitlab.example.com', notifyTokenFile: file, notifyRepo: 'g/p' },
      'https://gitlab.example.com/g/deploy.git',
    );
    assert.deepEqual(ok, {
      format: 'gitlab',
      options: {
        template: undefined,
        token: TOKEN,
        repo: 'g/p',
        deployRepo: 'https://gitlab.example.com/g/deploy.git',
      },
    });
    assert.throws(
      () => notifySettings({ notifyFormat: 'github', notifyTokenFile: `${file}.missing` }, 'x'),
      (e: Error) => e instanceof UsageError && !e.message.includes(TOKEN),
    );
  });

  test('repo paths, commit targets and states', () => {
    assert.equal(forgeRepoPath('https://github.com/acme/config.git'), 'acme/config');
    assert.equal(forgeRepoPath('https://x-access-token:t@github.com/acme/config'), 'acme/config');
    assert.equal(forgeRepoPath('git@gitlab.com:group/sub/config.git'), 'group/sub/config');
    assert.equal(forgeRepoPath('ssh://git@host:2222/acme/config.git'), 'acme/config');
    assert.equal(forgeRepoPath('file:///tmp/deploy.git'), undefined);
    assert.equal(forgeRepoPath(undefined), undefined);
    assert.deepEqual(statusTarget({ revision: DEPLOY, sourceCommit: 'not-a-sha' }, { repo: 'a/b' }), {
      sha: DEPLOY,
      repo: 'a/b',
    });
    assert.equal(statusTarget({ revision: DEPLOY }, { deployRepo: 'file:///tmp/x.git' }), undefined);
    assert.deepEqual(
      [
        'ReconciliationSucceeded',
        'Progressing',
        'DependencyNotReady',
        'HealthCheckFailed',
        'NotAllowed',
        'Suspended',
      ].map(commitStateOf),
      ['success', 'progressing', 'waiting', 'failure', 'error', undefined],
    );
  });
});
