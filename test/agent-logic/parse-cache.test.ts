/** The parsed-file cache: the same revision loads the same, changed files are parsed again, errors are never cached. */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { loadRevision } from '../../src/agent/source/load';
import { ParseCache } from '../../src/agent/source/parse-cache';

const CM = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: ${name}-s\n`;

function checkout(files: Record<string, string>): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-parse-cache-'));
  for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(d, rel), content);
  return d;
}

describe('parse cache', () => {
  test('a cached load equals a fresh one; only changed files are parsed again; the file keeps one revision', () => {
    const d = checkout({ 'a.yaml': CM('a'), 'b.yaml': CM('b') });
    const file = path.join(d, '.git', 'synthops', 'parsed.json');
    const fresh = loadRevision(d, { revision: 'r1' });
    loadRevision(d, { revision: 'r1', cache: new ParseCache(file) });
    assert.ok(fs.existsSync(file));
    const cache = new ParseCache(file);
    const cached = loadRevision(d, { revision: 'r1', cache });
    assert.deepEqual(cached, fresh, 'objects and origins (document numbers) as from a fresh parse');

    fs.writeFileSync(path.join(d, 'b.yaml'), CM('c'));
    const set = cache.set.bind(cache);
    const parsed: string[] = [];
    cache.set = (sha, docs) => {
      parsed.push(docs[0].manifest.metadata.name);
      set(sha, docs);
    };
    const next = loadRevision(d, { revision: 'r2', cache });
    assert.deepEqual(parsed, ['c'], 'a.yaml came from the cache');
    assert.deepEqual(
      next.apps[0].objects.map((o) => o.manifest.metadata.name),
      ['a', 'a-s', 'c', 'c-s'],
    );
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Record<string, unknown> };
    assert.equal(Object.keys(stored.entries).length, 2, 'the old b.yaml left the cache');
  });

  test('a damaged cache file is an empty cache; a malformed file is reported every time', () => {
    const d = checkout({ 'a.yaml': CM('a') });
    const file = path.join(d, 'parsed.json');
    fs.writeFileSync(file, '{not json');
    assert.equal(loadRevision(d, { revision: 'r', cache: new ParseCache(file) }).apps[0].objects.length, 2);

    fs.writeFileSync(path.join(d, 'a.yaml'), 'kind: [unclosed\n');
    const cache = new ParseCache(file);
    for (let i = 0; i < 2; i++)
      assert.throws(
        () => loadRevision(d, { revision: 'r', cache }),
        (e: unknown) => e instanceof LoadError && /malformed YAML/.test(e.message),
      );
  });
});
