/**
 * Git over ssh on loopback: a private sshd (its own host key, config and
 * authorized_keys) started for one test; clients get a key and a known_hosts file.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { freePort, waitForPort } from './net';

const SSHD = '/usr/sbin/sshd';

/** A running sshd and the files a client needs. */
export interface SshServer {
  /** `ssh://user@127.0.0.1:port` prefix; append an absolute repo path. */
  readonly base: string;
  readonly clientKey: string;
  readonly knownHosts: string;
  /** A known_hosts file with a different key for the same host. */
  readonly wrongKnownHosts: string;
}

/** Starts sshd on 127.0.0.1 for this test (fails, never skips, when sshd is missing). */
export async function startSshd(t: TestContext): Promise<SshServer> {
  if (!fs.existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server (.ci/run does)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-sshd-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  keygen(path.join(dir, 'host'));
  keygen(path.join(dir, 'client'));
  keygen(path.join(dir, 'other-host'));
  fs.copyFileSync(path.join(dir, 'client.pub'), path.join(dir, 'authorized_keys'));
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${dir}/host`, `AuthorizedKeysFile ${dir}/authorized_keys`,
    'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'PubkeyAuthentication yes', 'PermitRootLogin prohibit-password',
    'StrictModes no', 'UsePAM no', `PidFile ${dir}/sshd.pid`, 'LogLevel ERROR', '',
  ].join('\n'));
  fs.mkdirSync('/run/sshd', { recursive: true });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c) => { stderr += c; });
  t.after(() => {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await waitForPort(port, 'sshd', () => child.exitCode === null).catch((e: Error) => {
    throw new Error(`${e.message}: ${stderr}`);
  });
  const hostLine = (pub: string) => `[127.0.0.1]:${port} ${fs.readFileSync(pub, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`;
  fs.writeFileSync(path.join(dir, 'known_hosts'), hostLine(path.join(dir, 'host.pub')));
  fs.writeFileSync(path.join(dir, 'wrong_known_hosts'), hostLine(path.join(dir, 'other-host.pub')));
  return {
    base: `ssh://${os.userInfo().username}@127.0.0.1:${port}`,
    clientKey: path.join(dir, 'client'),
    knownHosts: path.join(dir, 'known_hosts'),
    wrongKnownHosts: path.join(dir, 'wrong_known_hosts'),
  };
}
