import type { ServerResponse } from 'http';

/** Options of an {@link SseHub}. */
export interface SseHubOptions {
  /** A comment line is sent this often so proxies and browsers keep idle streams open. @default 20000 */
  readonly heartbeatMs?: number;
  /** How long the browser waits before reconnecting a dropped stream. @default 1000 */
  readonly retryMs?: number;
}

/**
 * Server-Sent Events to every open page. The pages share the server's watches; this
 * only fans their changes out, so a hundred tabs cost the API server nothing more.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: SseHubOptions = {}) {
    this.heartbeat = setInterval(() => this.write(': ping\n\n'), o.heartbeatMs ?? 20_000);
    this.heartbeat.unref();
  }

  /** Number of open streams. */
  public get size(): number {
    return this.clients.size;
  }

  /** Turns a response into an event stream; `first` events are sent to it alone, at once. */
  public add(res: ServerResponse, first: ReadonlyArray<{ event: string; data: unknown }> = []): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${this.o.retryMs ?? 1000}\n\n`);
    for (const e of first) res.write(frame(e.event, e.data));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** Sends one event to every stream. */
  public broadcast(event: string, data: unknown): void {
    this.write(frame(event, data));
  }

  private write(text: string): void {
    for (const c of this.clients) c.write(text);
  }

  /** Ends every stream. */
  public close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

/** One event frame. JSON has no raw newlines, so the data is one `data:` line. */
export function frame(event: string, data: unknown): string {
  return `event: ${event.replace(/[\r\n]/g, '')}\ndata: ${JSON.stringify(data)}\n\n`;
}
