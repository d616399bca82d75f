import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { imagePinProblem, parseImageRef } from '../../src/author/image-ref';

describe('image references', () => {
  test('parses registry, repository, tag and digest', () => {
    assert.deepEqual(parseImageRef('docker.io/kostiscodefresh/simple-web-app:3d9b390'), {
      repository: 'docker.io/kostiscodefresh/simple-web-app',
      tag: '3d9b390',
      digest: undefined,
    });
    assert.deepEqual(parseImageRef('localhost:5000/a/b:v1.2'), {
      repository: 'localhost:5000/a/b',
      tag: 'v1.2',
      digest: undefined,
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageRef(`nginx@${digest}`), { repository: 'nginx', tag: undefined, digest });
    assert.equal(parseImageRef('Upper/Case:1'), undefined);
    assert.equal(parseImageRef('nginx:'), undefined);
    assert.equal(parseImageRef(''), undefined);
  });

  test('accepts a version tag or a digest, rejects untagged, :latest and malformed references', () => {
    assert.equal(imagePinProblem('nginx:1.27'), undefined);
    assert.equal(imagePinProblem(`nginx@sha256:${'b'.repeat(64)}`), undefined);
    assert.equal(imagePinProblem('nginx'), '"nginx" has no tag; pin a version tag or a digest');
    assert.equal(
      imagePinProblem('nginx:latest'),
      '"nginx:latest" uses the mutable tag ":latest"; pin a version tag or a digest',
    );
    assert.equal(imagePinProblem('no spaces:1'), '"no spaces:1" is not a valid image reference');
  });
});
