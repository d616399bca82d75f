import { createHmac, timingSafeEqual } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { Logger } from './log';
import { AgentMetrics } from './metrics';

/** What the server asks of the agent. */
export interface ServerHooks {
  /** Has a source and a working apiserver connection. */
  readonly ready: () => Promise<{ ok: boolean; reason: string }>;
  /** A verified webhook arrived (its body): reconcile now. */
  readonly onWebhook: (body: Buffer) => void;
}

/** Maximum webhook body size; GitHub's push payloads stay well below it. */
const MAX_BODY = 5 * 1024 * 1024;

/** True if `signature` (`sha256=<hex>`) is the HMAC-SHA256 of `body` with `secret`, compared in constant time. */
export function verifySignature(secret: string, body: Buffer, signature: string | undefined): boolean {
  if (!signature || !signature.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/**
 * One HTTP port for `/healthz` (the process is alive), `/readyz` (source and
 * apiserver reachable), `/metrics` (Prometheus) and `POST /webhook` (GitHub-style
 * `X-Hub-Signature-256`; a bad or missing signature gets 401 and triggers nothing).
 */
export class AgentServer {
  private readonly server: http.Server;

  constructor(
    private readonly metrics: AgentMetrics,
    private readonly hooks: ServerHooks,
    private readonly webhookSecret: string | undefined,
    private readonly log: Logger,
  ) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: Error) => {
        this.log.error({ err: e.message, path: req.url }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (req.method === 'GET' && path === '/readyz') {
      const r = await this.hooks.ready();
      res
        .writeHead(r.ok ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(`${r.ok ? 'ok' : 'not ready'}: ${r.reason}\n`);
    } else if (req.method === 'GET' && path === '/metrics') {
      res
        .writeHead(200, { 'Content-Type': this.metrics.registry.contentType })
        .end(await this.metrics.registry.metrics());
    } else if (path === '/webhook') {
      await this.webhook(req, res);
    } else {
      res.writeHead(404).end();
    }
  }

  private async webhook(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks);
    const signature = req.headers['x-hub-signature-256'] as string | undefined;
    if (!this.webhookSecret || !verifySignature(this.webhookSecret, body, signature)) {
      this.log.warn(
        { remote: req.socket.remoteAddress, signed: Boolean(signature) },
        'webhook rejected: bad or missing signature',
      );
      res.writeHead(401, { 'Content-Type': 'text/plain' }).end('invalid signature\n');
      return;
    }
    this.log.info({ event: req.headers['x-github-event'] ?? 'push' }, 'webhook accepted');
    this.hooks.onWebhook(body);
    res.writeHead(202, { 'Content-Type': 'text/plain' }).end('reconcile requested\n');
  }

  /** Listens on `host:port` (port 0 picks one); resolves to the port. */
  public listen(port: number, host = '0.0.0.0'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  /** Stops accepting connections. */
  public close(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
