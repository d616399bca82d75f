/** A config repo under git, as a CI job sees it: a temp repo with commits. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { makeRepo } from './config-repo';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/** A config repo with one commit; `commit()` records later edits. */
export class SourceRepo {
  private constructor(public readonly root: string) {}

  public static create(t: TestContext, files: Record<string, string>): SourceRepo {
    const root = makeRepo(t, files);
    fs.writeFileSync(path.join(root, '.gitignore'), 'node_modules/\ndist/\n');
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'remote', 'add', 'origin', 'https://git.example.com/org/config.git');
    const r = new SourceRepo(root);
    r.commit('initial');
    return r;
  }

  /** Writes files (path -> content) without committing. */
  public write(files: Record<string, string>): void {
    for (const [rel, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.root, rel)), { recursive: true });
      fs.writeFileSync(path.join(this.root, rel), content);
    }
  }

  /** Commits everything; returns the sha. */
  public commit(message: string): string {
    git(this.root, 'add', '-A');
    git(this.root, 'commit', '-q', '--allow-empty', '-m', message);
    return git(this.root, 'rev-parse', 'HEAD');
  }

  public git(...args: string[]): string {
    return git(this.root, ...args);
  }
}

/** Log of a branch of a bare repo: sha and full message per commit, newest first. */
export function branchLog(bare: string, branch: string): Array<{ sha: string; message: string }> {
  const out = execFileSync('git', ['--git-dir', bare, 'log', '--format=%H%x00%B%x01', branch], { encoding: 'utf8' });
  return out
    .split('\u0001')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => {
      const [sha, message] = e.split('\u0000');
      return { sha, message: message.trim() };
    });
}

/** Files of a commit of a bare repo: path -> content. */
export function treeAt(bare: string, rev: string): Record<string, string> {
  const files = execFileSync('git', ['--git-dir', bare, 'ls-tree', '-r', '--name-only', rev], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return Object.fromEntries(
    files.map((f) => [f, execFileSync('git', ['--git-dir', bare, 'show', `${rev}:${f}`], { encoding: 'utf8' })]),
  );
}
