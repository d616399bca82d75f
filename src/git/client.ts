import { execFile } from 'child_process';
import { SimpleGit, simpleGit } from 'simple-git';

/** Credentials for the Git remote. Secret values are never logged or put on a command line. */
export interface GitAuth {
  /** Token for https remotes (sent as HTTP basic auth password, user `x-access-token`). @default - none: no Authorization header */
  readonly token?: string;
  /** Private key file for ssh remotes. @default - ssh's default identities */
  readonly sshKeyFile?: string;
  /** known_hosts file for ssh remotes; host keys are always checked. @default - ssh's default known_hosts files */
  readonly knownHostsFile?: string;
}

/** A URL safe to print: user info removed. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

const PASSED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Environment for git: never prompt; credentials through config env vars and GIT_SSH_COMMAND. */
export function gitEnv(auth: GitAuth | undefined): Record<string, string> {
  // Only what git needs: no editors, pagers or inherited GIT_* settings reach it.
  const env: Record<string, string> = {};
  for (const k of PASSED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  env.GIT_TERMINAL_PROMPT = '0';
  const config: Array<[string, string]> = [];
  if (auth?.token) {
    const basic = Buffer.from(`x-access-token:${auth.token}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  if (config.length > 0) env.GIT_CONFIG_COUNT = String(config.length);
  if (auth?.sshKeyFile || auth?.knownHostsFile) {
    const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
    if (auth.sshKeyFile) ssh.push('-i', shellQuote(auth.sshKeyFile), '-o', 'IdentitiesOnly=yes');
    if (auth.knownHostsFile) ssh.push('-o', `UserKnownHostsFile=${shellQuote(auth.knownHostsFile)}`);
    env.GIT_SSH_COMMAND = ssh.join(' ');
  }
  return env;
}

/** Turns git's error output into a short reason, without secrets. */
export function describeGitError(e: unknown, branch: string): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/Authorization: Basic \S+/g, 'Authorization: ***');
  if (/couldn't find remote ref|Remote branch .* not found/i.test(text)) return `branch "${branch}" does not exist`;
  // Host key first: ssh's warning names host and port, and a port may contain "401".
  if (/Host key verification failed/i.test(text))
    return 'host key verification failed (is the host in the known_hosts file?)';
  // HTTP status only as git prints it ("returned error: 403"), never any digits in a URL.
  if (
    /Authentication failed|could not read Username|returned error: 40[13]\b|Permission denied \(publickey/i.test(text)
  )
    return `authentication failed: ${firstLine(text)}`;
  if (
    /does not appear to be a git repository|not found|unable to access|Could not resolve|Connection refused|Could not read from remote|timed out|block timeout/i.test(
      text,
    )
  ) {
    return `remote cannot be reached: ${firstLine(text)}`;
  }
  return firstLine(text);
}

function firstLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^hint:/.test(l));
  return (lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[0] ?? 'git failed').replace(/^(fatal|error):\s*/, '');
}

/**
 * A simple-git instance in `dir` with the credentials of `auth`. The config and ssh
 * environment variables are set by us, from our own flags, never from a repository;
 * simple-git asks for that to be said explicitly.
 */
export function gitAt(dir: string, auth?: GitAuth, timeoutMs = 60_000): SimpleGit {
  const env = gitEnv(auth);
  return simpleGit({
    baseDir: dir,
    allowEnvironment: Object.keys(env).filter((k) => k.startsWith('GIT_')),
    timeout: { block: timeoutMs },
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeSshCommand: true },
  }).env(env);
}

/** Parses `Key: value` trailers from the last paragraph of a commit message. */
export function parseTrailers(message: string): Record<string, string[]> {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const out: Record<string, string[]> = {};
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1] : '';
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9-]*):\s*(.+)$/.exec(line.trim());
    if (m) out[m[1]] = [...(out[m[1]] ?? []), m[2].trim()];
  }
  return out;
}

/**
 * Whether commit `older` is an ancestor of `newer` in the checkout: true for a
 * fast-forward, false for a rewritten (force-pushed or unrelated) history, undefined
 * when `older` is not in the fetched history (too far back to tell).
 */
export async function isAncestor(dir: string, older: string, newer: string): Promise<boolean | undefined> {
  // Exit codes matter here (1 = not an ancestor).
  const run = (args: string[]) =>
    runGit(dir, args).then(
      () => 0,
      (e: unknown) => (e instanceof GitCommandError && e.exitCode !== undefined ? e.exitCode : 128),
    );
  if ((await run(['cat-file', '-e', `${older}^{commit}`])) !== 0) return undefined;
  return (await run(['merge-base', '--is-ancestor', older, newer])) === 0;
}

/** A git command that failed; `exitCode` when git ran and exited non-zero. */
export class GitCommandError extends Error {
  constructor(
    message: string,
    public readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/**
 * Runs one git command in `dir` and resolves to its standard output. The agent's fetch
 * loop uses this instead of simple-git, which waits 50 ms after every command that
 * prints nothing (most of a no-op fetch). Rejects with git's own error output (never
 * the command line, which may hold a URL) or a timeout.
 */
export function runGit(
  dir: string,
  args: readonly string[],
  auth?: GitAuth,
  timeoutMs = 60_000,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    // SIGKILL: a git stuck on the network (or its ssh child) must not outlive the timeout.
    execFile(
      'git',
      [...args],
      {
        cwd: dir,
        env: { ...gitEnv(auth), ...extraEnv },
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as { code?: unknown }).code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
          return reject(new GitCommandError(`git ${args[0]}: more than 64 MiB of output`));
        if (err.killed) return reject(new GitCommandError(`git ${args[0]}: timed out after ${timeoutMs / 1000}s`));
        const exitCode = typeof err.code === 'number' ? err.code : undefined;
        reject(
          new GitCommandError(stderr.trim() || `git ${args[0]} failed with exit code ${String(err.code)}`, exitCode),
        );
      },
    );
  });
}
