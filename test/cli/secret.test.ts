/**
 * `synthops secret encrypt|edit` as a user runs them: the real sops with the repo's
 * `.sops.yaml`, run from the repo root; `edit` through $EDITOR (a small script here).
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';
import * as YAML from 'yaml';
import { Manifest } from '../../src/model/manifest';
import { isSopsDocument } from '../../src/model/sops';
import { decryptSops } from '../../src/render/sops';
import { findTool } from '../../src/render/tools';
import { REPO_ROOT, makeRepo } from '../harness/config-repo';
import { ageKey, plainSecret, sopsConfig, stringValue } from '../harness/sops';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');
const FILE = 'apps/shop/db.sops.yaml';
const PLAIN = `pw${randomBytes(8).toString('hex')}`;

function run(t: TestContext, cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  // An empty home: no sops key file or config of the machine counts.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-home-'));
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, SYNTHOPS_SOPS: findTool('sops').path, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function doc(root: string): Manifest {
  return YAML.parse(fs.readFileSync(path.join(root, FILE), 'utf8')) as Manifest;
}

describe('synthops secret', () => {
  const key = ageKey();

  test('encrypt: in place, for the rule of .sops.yaml; refused again, or without .sops.yaml, or outside the repo', async (t) => {
    const root = makeRepo(t, {
      '.sops.yaml': sopsConfig([key.recipient]),
      [FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })),
    });
    const r = run(t, root, ['secret', 'encrypt', FILE]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      `encrypted ${FILE}; commit it, and use it with new SopsSecret(app, id, { file: '${FILE}' })`,
    );
    const text = fs.readFileSync(path.join(root, FILE), 'utf8');
    assert.ok(!text.includes(PLAIN) && isSopsDocument(doc(root)));
    assert.equal(stringValue(await decryptSops(doc(root), key.identity), 'password'), PLAIN);

    // From another folder with -C: the path is still matched from the root.
    const again = run(t, os.tmpdir(), ['secret', 'encrypt', '-C', root, path.join(root, FILE)]);
    assert.deepEqual(
      [again.code, again.stderr.trim()],
      [2, `error: ${FILE} is already SOPS-encrypted; change it with synthops secret edit ${FILE}`],
    );
    const bare = makeRepo(t, { [FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })) });
    const none = run(t, bare, ['secret', 'encrypt', FILE]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /has no \.sops\.yaml: create one/);
    assert.equal(run(t, bare, ['secret', 'encrypt', '/etc/hostname']).code, 2);
  });

  test('encrypt: a rule that encrypts the identity too is reported', (t) => {
    const root = makeRepo(t, {
      '.sops.yaml': `creation_rules:\n  - age: ${key.recipient}\n`,
      [FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })),
    });
    const r = run(t, root, ['secret', 'encrypt', FILE]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /the \.sops\.yaml rule encrypted apiVersion, kind, metadata.name, metadata.namespace: add encrypted_regex: \^\(data\|stringData\)\$/,
    );
    assert.ok(!r.stderr.includes(PLAIN) && !r.stdout.includes(PLAIN));
  });

  test('edit: through $EDITOR, encrypted again on save; unchanged when nothing was saved; needs an editor', async (t) => {
    const root = makeRepo(t, {
      '.sops.yaml': sopsConfig([key.recipient]),
      [FILE]: YAML.stringify(plainSecret('db', 'shop', { password: PLAIN })),
    });
    assert.equal(run(t, root, ['secret', 'encrypt', FILE]).code, 0);
    const editor = path.join(root, 'editor.sh');
    fs.writeFileSync(editor, `#!/bin/sh\nsed -i "s/${PLAIN}/${PLAIN}-edited/" "$1"\n`, { mode: 0o755 });
    const noEditor = run(t, root, ['secret', 'edit', FILE], { SOPS_AGE_KEY: key.identity });
    assert.deepEqual(
      [noEditor.code, noEditor.stderr.trim()],
      [2, 'error: secret edit needs an editor: set EDITOR (or SOPS_EDITOR)'],
    );

    const r = run(t, root, ['secret', 'edit', FILE], { EDITOR: editor, SOPS_AGE_KEY: key.identity });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `re-encrypted ${FILE}`);
    assert.ok(!fs.readFileSync(path.join(root, FILE), 'utf8').includes(PLAIN));
    assert.equal(stringValue(await decryptSops(doc(root), key.identity), 'password'), `${PLAIN}-edited`);

    const same = run(t, root, ['secret', 'edit', FILE], { EDITOR: 'true', SOPS_AGE_KEY: key.identity });
    assert.deepEqual([same.code, same.stdout.trim()], [0, `${FILE} unchanged`]);
    // Without the key sops cannot open it: a failure, the file as it was.
    const before = fs.readFileSync(path.join(root, FILE), 'utf8');
    const noKey = run(t, root, ['secret', 'edit', FILE], { EDITOR: editor });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, new RegExp(`error: sops could not edit ${FILE} \\(exit 128\\)`));
    assert.equal(fs.readFileSync(path.join(root, FILE), 'utf8'), before);
  });
});
