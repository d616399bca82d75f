/** A local HTTP endpoint that records the JSON bodies posted to it (notification tests). */
import * as http from 'http';
import * as net from 'net';
import type { TestContext } from 'node:test';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent (percent-encoding kept). */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/**
 * Starts the receiver; `failFirst` answers 500 to that many posts first (retry tests).
 * `answer` decides the status of every other request (a fake forge checks path and
 * auth there); only requests answered 2xx land in `received`. @default - 204 to all
 */
export async function startReceiver(
  t: TestContext,
  failFirst = 0,
  answer: (r: ReceivedRequest) => number = () => 204,
): Promise<{
  url: string;
  received: Array<Record<string, unknown>>;
  requests: ReceivedRequest[];
  attempts: () => number;
}> {
  const received: Array<Record<string, unknown>> = [];
  const requests: ReceivedRequest[] = [];
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
      const r: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(body) as Record<string, unknown>,
      };
      requests.push(r);
      const status = answer(r);
      if (status < 300) received.push(r.body);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`,
    received,
    requests,
    attempts: () => attempts,
  };
}
