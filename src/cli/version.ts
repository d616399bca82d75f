import { StatusStore } from '../agent/state/status-store';
import { KubeClient } from '../kube/client';
import { AGENT_VERSION_ANNOTATION } from '../model/keys';
import { UsageError } from '../model/errors';
import { agentNamespaceOf } from './cluster-options';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { CLI_API_VERSION, outputFormat, printDocument } from './output-format';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

/** Flags of `synthops version`. */
export interface VersionCommandOptions extends ClusterFlags {
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--client`: the CLI's version only; no cluster request. @default false */
  readonly client?: boolean;
  /** `-o`: table, json or yaml. @default 'table' */
  readonly output?: string;
}

/** `version -o json|yaml` (kind `Version`). */
export interface VersionDocument {
  readonly apiVersion: string;
  readonly kind: 'Version';
  readonly cli: { readonly version: string };
  /** Each agent version found on the AppSyncs, with how many carry it. Empty when none was found or the cluster was not asked. */
  readonly agents: ReadonlyArray<{ readonly version: string; readonly namespace: string; readonly appSyncs: number }>;
  /** Why the agent's version is unknown, or null. */
  readonly agentError: string | null;
}

/**
 * The versions of the agents that wrote the AppSyncs of `namespace`, from the
 * `synthops.dev/agent-version` annotation each agent keeps on them.
 */
async function agentVersions(client: KubeClient, namespace: string): Promise<VersionDocument['agents']> {
  const counts = new Map<string, number>();
  for (const s of await new StatusStore(client, namespace).list()) {
    const v = s.metadata.annotations?.[AGENT_VERSION_ANNOTATION];
    if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([v, n]) => ({ version: v, namespace, appSyncs: n }));
}

/** `synthops version`: the CLI's version and, when the cluster answers, the running agent's. Exit 0 either way. */
export async function runVersion(opts: VersionCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  if (format === 'wide') throw new UsageError('-o: version prints table, json or yaml');
  const namespace = agentNamespaceOf(opts);
  let agents: VersionDocument['agents'] = [];
  let agentError: string | null = null;
  if (!opts.client) {
    let client: KubeClient | undefined;
    try {
      client = clusterClient(opts);
      agents = await agentVersions(client, namespace);
      if (agents.length === 0)
        agentError = `no AppSync in namespace ${namespace} carries ${AGENT_VERSION_ANNOTATION} (no agent has reconciled there yet)`;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      agentError = (e as Error).message;
    } finally {
      client?.close();
    }
  }
  if (format === 'json' || format === 'yaml') {
    const doc: VersionDocument = { apiVersion: CLI_API_VERSION, kind: 'Version', cli: { version }, agents, agentError };
    printDocument(io, format, doc);
    return 0;
  }
  io.out(`synthops CLI ${version}`);
  if (opts.client) return 0;
  for (const a of agents) io.out(`agent ${a.version} (namespace ${a.namespace}, on ${a.appSyncs} AppSync(s))`);
  if (agentError) io.out(`agent: unknown (${agentError})`);
  return 0;
}
