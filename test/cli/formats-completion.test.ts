/**
 * The CLI without a cluster: `-o` as output format and as folder, shell completion
 * generated from the command tree (loaded by real bash, and zsh and fish where
 * installed), and the README's command table against `synthops --help`.
 */
import { spawnSync } from 'child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { describe, test } from 'node:test';
import { REPO_ROOT, makeRepo } from '../harness/config-repo';
import { webApp } from '../synth/fixtures';
import { TestRemote } from '../harness/git';

const BIN = path.join(REPO_ROOT, 'bin', 'synthops');

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function has(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

describe('synthops CLI: output formats and completion', () => {
  test('-o on synth, publish and diff is the output folder: a format name is refused, a path is not', (t) => {
    const root = makeRepo(t, { 'apps/web.ts': webApp('web') });
    const remote = TestRemote.create(t);
    for (const args of [
      ['synth'],
      ['publish', '--repo', remote.fileUrl, '--branch', 'deploy'],
      ['diff', '--repo', remote.fileUrl, '--branch', 'deploy'],
    ]) {
      for (const format of ['json', 'yaml', 'table', 'wide']) {
        const r = run(root, [...args, '-o', format]);
        assert.equal(r.code, 2, `${args[0]} -o ${format}: ${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(
            `here -o is --out, the output folder, not an output format; write --out \\./${format} if you mean a folder named ${format}`,
          ),
        );
        assert.equal(fs.existsSync(path.join(root, format)), false, 'no folder created');
      }
    }
    const folder = run(root, ['synth', '--out', './json']);
    assert.equal(folder.code, 0, folder.stderr);
    assert.ok(fs.existsSync(path.join(root, 'json', 'index.json')), 'an explicit path is a folder');
  });

  test('-o takes table, wide, json, yaml only; version --client prints JSON without a cluster', () => {
    const bad = run(REPO_ROOT, ['status', '-o', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Allowed choices are table, wide, json, yaml/);
    const v = run(REPO_ROOT, ['version', '--client', '-o', 'json'], { KUBECONFIG: '/nonexistent' });
    assert.equal(v.code, 0, v.stderr);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('../../package.json') as { version: string };
    assert.deepEqual(JSON.parse(v.stdout), {
      apiVersion: 'synthops.dev/cli/v1',
      kind: 'Version',
      cli: { version },
      agents: [],
      agentError: null,
    });
    assert.equal(run(REPO_ROOT, ['version', '-o', 'wide']).code, 2);
  });

  test('completion bash: bash accepts it and completes commands, flags and fixed values', () => {
    const loaded = spawnSync(
      'bash',
      ['-c', `source <("${process.execPath}" "${BIN}" completion bash) && complete -p synthops`],
      { encoding: 'utf8' },
    );
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.equal(loaded.stdout.trim(), 'complete -F _synthops synthops');
    const script = run(REPO_ROOT, ['completion', 'bash']).stdout;
    const complete = (...words: string[]) => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _synthops; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(complete('synthops', 're'), ['reconcile', 'resume']);
    assert.deepEqual(complete('synthops', 'status', '-o', ''), ['json', 'table', 'wide', 'yaml']);
    assert.deepEqual(complete('synthops', 'status', '-n', 'ns', '--out'), ['--output']);
    assert.deepEqual(complete('synthops', 'completion', ''), ['bash', 'fish', 'zsh']);
    assert.ok(complete('synthops', 'agent', '--').includes('--kubeconfig'));
    assert.ok(complete('synthops', '').includes('history'));
  });

  test('completion zsh and fish load in their shells (where installed)', (t) => {
    if (!has('zsh') && !has('fish')) t.skip('neither zsh nor fish is installed');
    if (has('zsh')) {
      const script = run(REPO_ROOT, ['completion', 'zsh']).stdout;
      // compinit's own functions stubbed: the completion function is called directly.
      const stubs = `compdef(){}; compadd(){ [[ $1 == -- ]] && shift; print -rl -- "$@"; }; _describe(){ print -rl -- \${(P)2} | cut -d: -f1; }; _files(){ print FILES; }`;
      const complete = (...words: string[]) => {
        const r = spawnSync(
          'zsh',
          [
            '-c',
            `${stubs}\n${script}\nwords=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _synthops`,
          ],
          { encoding: 'utf8' },
        );
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.split('\n').filter(Boolean);
      };
      assert.ok(complete('synthops', '').includes('reconcile'));
      assert.deepEqual(complete('synthops', 'status', '-o', ''), ['table', 'wide', 'json', 'yaml']);
      const compinit = spawnSync(
        'zsh',
        [
          '-c',
          `autoload -Uz compinit && compinit -u -D && source <("${process.execPath}" "${BIN}" completion zsh) && print -r -- $_comps[synthops]`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(compinit.stdout.trim(), '_synthops', compinit.stderr);
    }
    if (has('fish')) {
      const r = spawnSync(
        'fish',
        [
          '-c',
          `"${process.execPath}" "${BIN}" completion fish | source; complete -C 'synthops status -o '; complete -C 'synthops sus'`,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const words = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
      assert.deepEqual(words, ['json', 'table', 'wide', 'yaml', 'suspend']);
    }
  });

  test('the README command table lists exactly the commands of synthops --help', () => {
    const help = run(REPO_ROOT, ['--help']).stdout;
    const commands = [...help.split('Commands:')[1].matchAll(/^ {2}([a-z-]+) /gm)]
      .map((m) => m[1])
      .filter((c) => c !== 'help');
    assert.ok(commands.includes('reconcile') && commands.includes('completion'));
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.split('## Commands')[1].split('\n## ')[0];
    const listed = [...section.matchAll(/^\| `synthops ([a-z-]+)/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(listed)].sort(), [...commands].sort());
  });
});
