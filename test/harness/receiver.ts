/** A local HTTP endpoint that records the JSON bodies posted to it (notification tests). */
import * as http from 'http';
import * as net from 'net';
import type { TestContext } from 'node:test';

/** Starts the receiver; `failFirst` answers 500 to that many posts first (retry tests). */
export async function startReceiver(
  t: TestContext,
  failFirst = 0,
): Promise<{ url: string; received: Array<Record<string, unknown>>; attempts: () => number }> {
  const received: Array<Record<string, unknown>> = [];
  let attempts = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      attempts++;
      if (attempts <= failFirst) {
        res.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
    received,
    attempts: () => attempts,
  };
}
