/**
 * test/tools/base-image.sh, which pins the Dockerfile's base images by digest, run on a
 * copy of the Dockerfile with a stand-in `docker` (no Docker engine or registry here):
 * every FROM goes through a pinnable ARG, `pin` writes digests, and `check` tells a
 * pinned Dockerfile from one that is not.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test, TestContext } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'test', 'tools', 'base-image.sh');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function copy(t: TestContext): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-image-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'Dockerfile');
  // As the Dockerfile was before it was pinned: the tags alone.
  fs.writeFileSync(
    file,
    fs
      .readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
      .replace(/^(ARG [A-Z_]+_IMAGE=[^@\n]+)@sha256:[0-9a-f]{64}$/gm, '$1'),
  );
  // `docker buildx imagetools inspect <tag> --format '{{json .Manifest}}'`, as the real one answers for an index.
  fs.writeFileSync(
    path.join(dir, 'docker'),
    `#!/bin/sh\necho '{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"${DIGEST}","size":10229}'\n`,
    { mode: 0o755 },
  );
  return { dir, file };
}

function run(dir: string, ...args: string[]) {
  return spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
}

describe('base image pinning', () => {
  test("the repository's Dockerfile is pinned: every base image by a digest", () => {
    const r = spawnSync('bash', [SCRIPT, 'check', path.join(ROOT, 'Dockerfile')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /NODE_IMAGE=node:22-bookworm-slim@sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, /GO_IMAGE=golang:1\.26-bookworm@sha256:[0-9a-f]{64}/);
  });

  test('check refuses an unpinned base image and names it; pin writes the digest, after which check passes and nothing else changed', (t) => {
    const { dir, file } = copy(t);
    const before = fs.readFileSync(file, 'utf8');
    const unpinned = run(dir, 'check', file);
    assert.equal(unpinned.status, 1);
    assert.match(unpinned.stderr, /NODE_IMAGE=node:22-bookworm-slim is not pinned by digest/);

    const pin = run(dir, 'pin', file);
    assert.equal(pin.status, 0, pin.stderr);
    const after = fs.readFileSync(file, 'utf8');
    assert.match(after, new RegExp(`^ARG NODE_IMAGE=node:22-bookworm-slim@${DIGEST}$`, 'm'));
    assert.match(after, new RegExp(`^ARG GO_IMAGE=golang:[^@\\n]+@${DIGEST}$`, 'm'));
    assert.deepEqual(
      after.split('\n').filter((l) => !l.startsWith('ARG ')),
      before.split('\n').filter((l) => !l.startsWith('ARG ')),
    );
    assert.equal(run(dir, 'check', file).status, 0);
    // Pinning again keeps the tag and takes the new digest.
    assert.equal(run(dir, 'pin', file).status, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), after);
  });

  test('check refuses a FROM that bypasses the pinned ARGs', (t) => {
    const { dir, file } = copy(t);
    assert.equal(run(dir, 'pin', file).status, 0);
    fs.appendFileSync(file, '\nFROM node:22-bookworm-slim AS extra\n');
    const r = run(dir, 'check', file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /FROM node:22-bookworm-slim is not pinned by digest/);
  });
});
