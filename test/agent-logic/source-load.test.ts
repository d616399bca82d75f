import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { loadRevision } from '../../src/agent/source/load';
import { parseTrailers, redactUrl } from '../../src/agent/source/fetch';

function dir(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-load-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    fs.writeFileSync(path.join(d, rel), content);
  }
  return d;
}

describe('load', () => {
  test('plain YAML: every *.yaml/*.yml below the path, multi-document, in byte order, as one app', () => {
    const d = dir({
      'config/b.yml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n',
      'config/a/x.yaml':
        'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: x\n',
      'config/notes.txt': 'not yaml',
    });
    const r = loadRevision(d, { path: 'config', revision: 'abc' });
    assert.equal(r.layout, 'plain');
    assert.equal(r.apps[0].name, 'config');
    assert.deepEqual(
      r.apps[0].objects.map((o) => o.origin),
      ['a/x.yaml#0', 'b.yml#0', 'b.yml#2'],
    );
    assert.equal(loadRevision(d, { path: 'config', app: 'mine', revision: 'abc' }).apps[0].name, 'mine');
  });

  test('rejects a revision with every problem listed: file, document and reason', () => {
    const d = dir({
      'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- just\n- a list\n',
      'b.yaml': 'key: [1, 2\n',
    });
    assert.throws(
      () => loadRevision(d, { revision: '0123456789abcdef' }),
      (e: Error) => {
        assert.ok(e instanceof LoadError);
        assert.deepEqual(e.problems, ['a.yaml#1: not a Kubernetes object (expected a map)', e.problems[1]]);
        assert.match(e.problems[1], /^b\.yaml#0: malformed YAML: /);
        assert.match(e.message, /^revision 0123456789ab rejected, nothing applied:/);
        return true;
      },
    );
    assert.throws(() => loadRevision(d, { path: 'missing', revision: 'x' }), /missing: no such folder in the revision/);
    assert.throws(
      () => loadRevision(dir({ 'empty.yaml': '' }), { revision: 'x' }),
      /no Kubernetes objects in any \*\.yaml or \*\.yml file/,
    );
  });

  test('synthops layout needs --env when there are several environments', () => {
    const index = {
      apiVersion: 'synthops.dev/v1alpha1',
      kind: 'SynthIndex',
      environments: ['dev', 'prod'],
      apps: [],
      files: [],
    };
    const d = dir({ 'index.json': JSON.stringify(index) });
    assert.throws(
      () => loadRevision(d, { revision: 'x' }),
      /the output has environments dev, prod; choose one with --env/,
    );
    assert.throws(() => loadRevision(d, { env: 'qa', revision: 'x' }), /environment "qa" is not in the output/);
    assert.deepEqual(loadRevision(d, { env: 'prod', revision: 'x' }).apps, []);
    fs.writeFileSync(path.join(d, 'prod-extra.yaml'), '');
    fs.mkdirSync(path.join(d, 'prod'));
    fs.writeFileSync(path.join(d, 'prod', 'stray.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n');
    assert.throws(
      () => loadRevision(d, { env: 'prod', revision: 'x' }),
      /prod\/stray\.yaml: not listed in index\.json/,
    );
  });
});

describe('source helpers', () => {
  test('parses trailers from the last paragraph', () => {
    assert.deepEqual(parseTrailers('publish abc\n\nSource-Commit: abc\nAllow-Prune: web, docs\nAllow-Prune: db\n'), {
      'Source-Commit': ['abc'],
      'Allow-Prune': ['web, docs', 'db'],
    });
    assert.deepEqual(parseTrailers('Allow-Prune: web'), {}, 'a subject line is not a trailer');
  });

  test('never prints credentials in URLs', () => {
    assert.equal(
      redactUrl('https://user:secret@git.example.com/org/repo.git'),
      'https://***@git.example.com/org/repo.git',
    );
    assert.equal(redactUrl('git@github.com:org/repo.git'), 'git@github.com:org/repo.git');
  });
});
