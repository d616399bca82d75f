import { KubeClient } from '../kube/client';
import { InventoryStore } from '../agent/state/inventory';
import { handOver } from '../agent/state/handover';
import { UsageError } from '../model/errors';
import { byteOrder } from '../model/manifest';
import { sourceNameProblem } from '../model/source';
import { Output } from './output';

/** Flags shared by the `synthops inventory` commands. */
export interface InventoryCommandOptions {
  /** `--kubeconfig`: kubeconfig file. @default - KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  readonly agentNamespace: string;
  /** `--env`: only this environment. @default - every environment */
  readonly env?: string;
  /** `--app`: only these apps. @default - every app */
  readonly app?: string[];
}

function checkName(flag: string, name: string | undefined): void {
  const problem = name === undefined ? undefined : sourceNameProblem(name);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
}

async function withClient<T>(kubeconfig: string | undefined, fn: (c: KubeClient) => Promise<T>): Promise<T> {
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** `synthops inventory list`: every inventory in the agent's namespace, with its source. */
export async function runInventoryList(
  opts: InventoryCommandOptions & { source?: string },
  io: Output,
): Promise<number> {
  return withClient(opts.kubeconfig, async (client) => {
    const all = (await new InventoryStore(client, opts.agentNamespace).listAll())
      .filter(
        (i) =>
          (!opts.env || i.env === opts.env) &&
          (!opts.app || opts.app.includes(i.app)) &&
          (!opts.source || i.source?.name === opts.source),
      )
      .sort((a, b) => byteOrder(`${a.env}/${a.app}`, `${b.env}/${b.app}`));
    if (all.length === 0) {
      io.out(`no inventories in namespace ${opts.agentNamespace}`);
      return 0;
    }
    const rows = [['ENV', 'APP', 'SOURCE', 'OBJECTS', 'FROM']];
    for (const i of all) {
      const s = i.source;
      rows.push([
        i.env,
        i.app,
        s?.name ?? '(none: adopted by the first source that claims it)',
        String(i.objects.length),
        s?.url ? `${s.url} ${s.branch ?? ''} ${s.path ?? ''}`.trim() : '-',
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)) + 2);
    for (const r of rows)
      io.out(
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('')
          .trimEnd(),
      );
    return 0;
  });
}

/**
 * `synthops inventory release --source S` and `synthops inventory adopt --from S --source T`:
 * hand the records of a source that no longer runs to no source, or to another one.
 * Exit 1 when nothing matched (a misspelt name should not pass silently).
 */
export async function runInventoryHandover(
  opts: InventoryCommandOptions & { from?: string; to?: string },
  io: Output,
): Promise<number> {
  checkName('--source', opts.to);
  checkName('--from', opts.from);
  if (opts.from === undefined && !opts.app)
    throw new UsageError('records of no source are handed over only by app: name them with --app');
  if (opts.from !== undefined && opts.from === opts.to)
    throw new UsageError(`--from and --source are both "${opts.from}"`);
  return withClient(opts.kubeconfig, async (client) => {
    const r = await handOver(client, opts.agentNamespace, {
      from: opts.from,
      to: opts.to,
      env: opts.env,
      apps: opts.app,
    });
    const from = opts.from === undefined ? 'no source' : `source "${opts.from}"`;
    const to =
      opts.to === undefined ? 'no source (the first source that claims the app adopts it)' : `source "${opts.to}"`;
    for (const i of r.inventories)
      io.out(`inventory ${i.env}/${i.app} (${i.objects.length} objects): ${from} -> ${to}`);
    for (const s of r.appSyncs) io.out(`AppSync ${s.metadata.name}: ${from} -> ${to}`);
    if (r.inventories.length + r.appSyncs.length === 0) {
      io.err(`nothing to hand over: no inventory or AppSync of ${from} matches in namespace ${opts.agentNamespace}`);
      return 1;
    }
    return 0;
  });
}
