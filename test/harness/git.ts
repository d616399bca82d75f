/**
 * Real Git remotes for tests: a bare repository on disk (reachable as file://) and
 * served by `git daemon` on loopback (git://), plus helpers to publish trees to it.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { freePort, waitForPort } from './net';
import { SigningKey, signingConfig } from '../../src/git/signing';

const GIT_ID = ['-c', 'user.name=synthops-test', '-c', 'user.email=test@synthops.dev'];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...GIT_ID, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  }).trim();
}

/** A bare repo with a work tree to publish from. */
export class TestRemote {
  /** file:// URL of the bare repository. */
  public readonly fileUrl: string;
  private daemon?: ChildProcess;

  private constructor(
    public readonly root: string,
    public readonly bare: string,
    private readonly work: string,
  ) {
    this.fileUrl = `file://${bare}`;
  }

  /** Creates an empty bare repo; everything is removed when the test ends. */
  public static create(t: TestContext): TestRemote {
    const remote = TestRemote.at(fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-git-')));
    t.after(() => {
      remote.stopDaemon();
      fs.rmSync(remote.root, { recursive: true, force: true });
    });
    return remote;
  }

  /** An empty bare repo and its work tree in `root` (created if missing), which the caller removes. */
  public static at(root: string): TestRemote {
    fs.mkdirSync(root, { recursive: true });
    const bare = path.join(root, 'deploy.git');
    const work = path.join(root, 'work');
    git(root, 'init', '-q', '--bare', bare);
    git(root, 'init', '-q', work);
    git(work, 'remote', 'add', 'origin', bare);
    return new TestRemote(root, bare, work);
  }

  /**
   * Makes branch `branch` hold exactly `files` (path -> content) in a new commit and
   * pushes it. Returns the commit sha.
   */
  public publish(branch: string, files: Record<string, string>, message = 'publish', signWith?: SigningKey): string {
    const exists = git(this.work, 'ls-remote', '--heads', 'origin', branch) !== '';
    if (exists) {
      git(this.work, 'fetch', '-q', 'origin', branch);
      git(this.work, 'checkout', '-q', '-B', branch, `origin/${branch}`);
    } else {
      git(this.work, 'checkout', '-q', '--orphan', branch);
    }
    for (const entry of fs.readdirSync(this.work))
      if (entry !== '.git') fs.rmSync(path.join(this.work, entry), { recursive: true, force: true });
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.work, rel)), { recursive: true });
      fs.writeFileSync(path.join(this.work, rel), content);
    }
    git(this.work, 'add', '-A');
    // Signed with git's own signing, as `synthops publish --sign-key` does.
    const sign = signWith ? signingConfig(signWith) : { args: [], env: {} };
    execFileSync('git', [...GIT_ID, ...sign.args, 'commit', '-q', '--allow-empty', '-m', message], {
      cwd: this.work,
      env: { ...process.env, ...sign.env, GIT_TERMINAL_PROMPT: '0' },
    });
    git(this.work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    return git(this.work, 'rev-parse', 'HEAD');
  }

  /** Replaces branch `branch` with a new root commit holding `files` (an unrelated history), force-pushed. */
  public forcePublish(branch: string, files: Record<string, string>, message = 'rewritten history'): string {
    git(this.work, 'checkout', '-q', '--orphan', `rewrite-${Date.now()}`);
    for (const entry of fs.readdirSync(this.work))
      if (entry !== '.git') fs.rmSync(path.join(this.work, entry), { recursive: true, force: true });
    git(this.work, 'rm', '-rq', '--cached', '--ignore-unmatch', '.');
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.work, rel)), { recursive: true });
      fs.writeFileSync(path.join(this.work, rel), content);
    }
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '-m', message);
    git(this.work, 'push', '-q', '--force', 'origin', `HEAD:refs/heads/${branch}`);
    return git(this.work, 'rev-parse', 'HEAD');
  }

  /** Serves the bare repo with `git daemon` on 127.0.0.1; resolves to its git:// URL. */
  public async serve(): Promise<string> {
    const port = await freePort();
    fs.writeFileSync(path.join(this.bare, 'git-daemon-export-ok'), '');
    this.daemon = spawn(
      'git',
      ['daemon', '--reuseaddr', `--base-path=${this.root}`, '--listen=127.0.0.1', `--port=${port}`, this.root],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 'git daemon');
    return `git://127.0.0.1:${port}/deploy.git`;
  }

  /** Stops the daemon (the remote becomes unreachable over git://). */
  public stopDaemon(): void {
    this.daemon?.kill();
    this.daemon = undefined;
  }
}

/** Reads a folder into path -> content (for publishing synth output). */
export function treeOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}
