/** What the in-process agent harnesses share: a captured JSON log and the HTTP server around the agent. */
import type { TestContext } from 'node:test';
import { Logger, createLogger } from '../../src/agent/controller/log';
import { AgentMetrics } from '../../src/agent/controller/metrics';
import { AgentServer, ServerHooks } from '../../src/agent/controller/server';

/** A debug logger whose lines are parsed into `logs`, for assertions. */
export function capturedLog(): { readonly log: Logger; readonly logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('debug', {
    write: (line: string) => {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { log, logs };
}

/** An agent the harness starts and stops (a Controller or a Supervisor). */
export interface HostedAgent {
  readonly start: () => Promise<void>;
  readonly stop: (graceMs: number) => Promise<void>;
}

/**
 * Serves `hooks` on a free loopback port, then starts `agent`; when the test ends it stops
 * the agent, closes the server, then runs `cleanup`. Returns the server's URL.
 */
export async function hostAgent(
  t: TestContext,
  o: {
    readonly agent: HostedAgent;
    readonly hooks: ServerHooks;
    readonly metrics: AgentMetrics;
    readonly log: Logger;
    /** @default - no webhook secret */
    readonly webhookSecret?: string;
    /** After the agent and server stopped (close clients, remove folders). */
    readonly cleanup: () => void;
  },
): Promise<string> {
  const server = new AgentServer(o.metrics, o.hooks, o.webhookSecret, o.log);
  const port = await server.listen(0, '127.0.0.1');
  await o.agent.start();
  t.after(async () => {
    await o.agent.stop(5000);
    await server.close();
    o.cleanup();
  });
  return `http://127.0.0.1:${port}`;
}
