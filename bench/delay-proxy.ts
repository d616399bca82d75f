/**
 * A TCP proxy on loopback that delays every chunk by half a round trip each way, so the
 * agent benchmark can put both tools at a network distance from the API server
 * (`BENCH_RTT_MS`). TLS passes through untouched. Run as its own process: the
 * benchmark blocks its event loop while a tool runs.
 *
 *   node -r ts-node/register/transpile-only bench/delay-proxy.ts <target-port> <rtt-ms>
 *
 * Prints the port it listens on, then serves until killed.
 */
import * as net from 'net';

/** Pipes `from` into `to`, each chunk (and the end) `delayMs` later, in order. */
function delayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs));
  from.on('end', () => setTimeout(() => to.end(), delayMs));
  from.on('error', () => to.destroy());
}

function main(): void {
  const [targetPort, rttMs] = process.argv.slice(2).map(Number);
  if (!targetPort || Number.isNaN(rttMs)) throw new Error('usage: delay-proxy <target-port> <rtt-ms>');
  const server = net.createServer((client) => {
    client.setNoDelay(true);
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.setNoDelay(true);
    delayed(client, upstream, rttMs / 2);
    delayed(upstream, client, rttMs / 2);
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
  });
}

main();
