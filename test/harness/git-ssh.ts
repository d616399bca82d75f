/**
 * Git over ssh on loopback: an in-process ssh server (the `ssh2` package) with its
 * own host key, started for one test. It lets in one client key and runs only
 * git-upload-pack / git-receive-pack; the client side is the real OpenSSH `ssh`
 * that git starts, so host-key checking and key auth are OpenSSH's own.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { AuthContext, Connection, ParsedKey, Server, ServerChannel, Session, utils } from 'ssh2';
import { parseGitSshCommand } from './git-ssh-command';

/** A running ssh server and the files a client needs. */
export interface SshServer {
  /** `ssh://user@127.0.0.1:port` prefix; append an absolute repo path. */
  readonly base: string;
  /** The user name in `base`, the only one let in. */
  readonly user: string;
  readonly port: number;
  /** Private key file of the one client key the server accepts. */
  readonly clientKey: string;
  readonly knownHosts: string;
  /** A known_hosts file with a different key for the same host. */
  readonly wrongKnownHosts: string;
}

/** Starts the ssh server on 127.0.0.1 (a port the kernel picks) for this test; stopped after it. */
export async function startSshServer(t: TestContext): Promise<SshServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ssh-'));
  const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  keygen(path.join(dir, 'host'));
  keygen(path.join(dir, 'client'));
  keygen(path.join(dir, 'other-host'));
  const clientPub = parsedKey(fs.readFileSync(path.join(dir, 'client.pub')));
  const user = os.userInfo().username;

  const connections = new Set<Connection>();
  const children = new Set<ChildProcess>();
  const server = new Server({ hostKeys: [fs.readFileSync(path.join(dir, 'host'))] }, (conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    // A client that drops the connection (a host-key mismatch does) is not a server error.
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => authenticate(ctx, user, clientPub));
    conn.on('session', (accept) => serveSession(accept(), children));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  t.after(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const c of connections) c.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const hostLine = (pub: string) =>
    `[127.0.0.1]:${port} ${fs.readFileSync(pub, 'utf8').trim().split(' ').slice(0, 2).join(' ')}\n`;
  fs.writeFileSync(path.join(dir, 'known_hosts'), hostLine(path.join(dir, 'host.pub')));
  fs.writeFileSync(path.join(dir, 'wrong_known_hosts'), hostLine(path.join(dir, 'other-host.pub')));
  return {
    base: `ssh://${user}@127.0.0.1:${port}`,
    user,
    port,
    clientKey: path.join(dir, 'client'),
    knownHosts: path.join(dir, 'known_hosts'),
    wrongKnownHosts: path.join(dir, 'wrong_known_hosts'),
  };
}

function parsedKey(data: Buffer): ParsedKey {
  const key = utils.parseKey(data);
  if (key instanceof Error) throw key;
  return Array.isArray(key) ? key[0] : key;
}

/** Public key only: the user and key must match, and a signed attempt must verify. */
function authenticate(ctx: AuthContext, user: string, allowed: ParsedKey): void {
  if (ctx.method !== 'publickey' || ctx.username !== user) {
    ctx.reject(['publickey']);
    return;
  }
  const offered = ctx.key.data;
  const expected = allowed.getPublicSSH();
  if (ctx.key.algo !== allowed.type || offered.length !== expected.length || !timingSafeEqual(offered, expected)) {
    ctx.reject(['publickey']);
    return;
  }
  // Without a signature the client only asks whether this key would do; with one, it must be genuine.
  if (ctx.signature && allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) {
    ctx.reject(['publickey']);
    return;
  }
  ctx.accept();
}

/** One session: git's GIT_PROTOCOL, then one exec of a git service; no shell, pty or subsystem. */
function serveSession(session: Session, children: Set<ChildProcess>): void {
  const env: Record<string, string> = {};
  session.on('env', (accept, reject, info) => {
    // OpenSSH sends env without wanting a reply, so accept/reject may be absent.
    if (info.key !== 'GIT_PROTOCOL') return reject?.();
    env.GIT_PROTOCOL = info.val;
    accept?.();
  });
  session.on('pty', (_accept, reject) => reject?.());
  session.on('shell', (_accept, reject) => reject?.());
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    const cmd = parseGitSshCommand(info.command);
    if (!cmd) {
      channel.stderr.write(`this server runs only git-upload-pack '<path>' or git-receive-pack '<path>'\n`);
      return finish(channel, 1);
    }
    const child = spawn(cmd.service, [cmd.repoPath], { env: { ...process.env, ...env }, stdio: 'pipe' });
    children.add(child);
    // A failed spawn may emit both 'error' and 'close': answer once.
    let done = false;
    const end = (status: number, why?: string) => {
      if (done) return;
      done = true;
      children.delete(child);
      if (why) channel.stderr.write(`${cmd.service}: ${why}\n`);
      finish(channel, status);
    };
    channel.pipe(child.stdin);
    // upload-pack may exit before reading all its input; the exit status tells the outcome.
    child.stdin.on('error', () => undefined);
    child.stdout.pipe(channel, { end: false });
    child.stderr.pipe(channel.stderr, { end: false });
    child.on('error', (e) => end(127, e.message));
    child.on('close', (code) => end(code ?? 1));
  });
}

function finish(channel: ServerChannel, status: number): void {
  channel.exit(status);
  channel.end();
}
