/** The long-running agent as a child process of the test (the built CLI), its JSON log lines collected. */
import { ChildProcess, spawn } from 'child_process';
import type { TestContext } from 'node:test';
import { testKubeconfig } from './cluster';
import { SYNTHOPS_BIN } from './once-args';

/** A running `synthops agent` process. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Its stdout lines that are JSON, parsed, as they arrive. */
  readonly logs: Array<Record<string, unknown>>;
  /** Its exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>;
}

/** Starts `synthops agent` on the test cluster, listening on a free loopback port; killed when the test ends. */
export async function spawnAgent(t: TestContext, args: string[]): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [SYNTHOPS_BIN, 'agent', '--kubeconfig', await testKubeconfig(), '--listen', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: Array<Record<string, unknown>> = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  child.stderr!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, logs, exit };
}
