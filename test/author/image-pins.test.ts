import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { loadImagePins, readImagePins } from '../../src/author/image-pins';
import { ConfigError } from '../../src/model/errors';

function pinsFile(content: string): string {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pins-')), 'images.yaml');
  fs.writeFileSync(f, content);
  return f;
}

describe('image pins file', () => {
  test('reads env -> app -> image from YAML or JSON; a missing file means no pins', () => {
    assert.deepEqual(loadImagePins(pinsFile('dev:\n  web: r/web:1\nprod:\n  web: r/web:0.9\n')), {
      dev: { web: 'r/web:1' },
      prod: { web: 'r/web:0.9' },
    });
    assert.deepEqual(loadImagePins(pinsFile('{"dev": {"web": "r/web:2"}}')), { dev: { web: 'r/web:2' } });
    assert.deepEqual(loadImagePins('/nonexistent/images.yaml'), {});
    assert.deepEqual(loadImagePins(pinsFile('')), {});
  });

  test('rejects malformed files and unpinned images, naming the file and the entry', () => {
    const bad = (content: string, message: RegExp) =>
      assert.throws(
        () => loadImagePins(pinsFile(content)),
        (e: Error) => {
          assert.ok(e instanceof ConfigError);
          assert.match(e.message, message);
          return true;
        },
      );
    bad('dev: [a', /^apps\/images\.yaml: not valid YAML/);
    bad('- a\n', /^apps\/images\.yaml: expected a map of environment -> app -> image$/);
    bad('dev: r/web:1\n', /^apps\/images\.yaml: "dev" must be a map of app -> image$/);
    bad('dev:\n  web: 3\n', /^apps\/images\.yaml: dev\.web must be an image reference string$/);
    bad('dev:\n  web: r/web:latest\n', /^apps\/images\.yaml: dev\.web: "r\/web:latest" uses the mutable tag ":latest"/);
  });

  test('readImagePins lists every problem and keeps every string entry, pinned or not', () => {
    const r = readImagePins(pinsFile('dev: r/web:1\nprod:\n  web: r/web:latest\n  api: 3\n  ok: r/ok:2\n'));
    assert.deepEqual(r.pins, { prod: { web: 'r/web:latest', ok: 'r/ok:2' } });
    assert.deepEqual(r.problems, [
      { kind: 'malformed', env: 'dev', message: '"dev" must be a map of app -> image' },
      {
        kind: 'not-pinned',
        env: 'prod',
        app: 'web',
        message: '"r/web:latest" uses the mutable tag ":latest"; pin a version tag or a digest',
      },
      { kind: 'malformed', env: 'prod', app: 'api', message: 'prod.api must be an image reference string' },
    ]);
  });
});
