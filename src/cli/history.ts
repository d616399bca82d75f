import { AppSync, StatusStore } from '../agent/state/status-store';
import { KubeClient } from '../kube/client';
import { redactUrl } from '../git/client';
import { SynthopsError, UsageError } from '../model/errors';
import { TRAILERS } from '../model/keys';
import { DeployCommit, DeployRepo } from '../ui/deploy-repo';
import { agentNamespaceOf } from './cluster-options';
import { gitAuth } from './flags';
import { ClusterFlags, clusterClient } from './kube-flags';
import { Output } from './output';
import { document, oneLine, outputFormat, printDocument, table } from './output-format';

/** Flags of `synthops history`. */
export interface HistoryCommandOptions extends ClusterFlags {
  /** `--repo`: the deploy repo. @default - the `--repo` of the agent Deployment `synthops-agent` in the agent's namespace */
  readonly repo?: string;
  /** `--branch`: the deploy branch. @default - the agent Deployment's `--branch` */
  readonly branch?: string;
  /** `--limit`: how many commits, newest first. @default '20' */
  readonly limit?: string;
  /** `-n, --namespace`: the agent's namespace. @default 'synthops-system' */
  readonly namespace?: string;
  /** `--agent-namespace`, the older spelling of `--namespace`. @default 'synthops-system' */
  readonly agentNamespace?: string;
  /** `--env`: mark only this environment's live revisions. @default - every environment */
  readonly env?: string;
  /** `-o`: table, wide, json or yaml. @default 'table' */
  readonly output?: string;
  /** `--git-token-file`. @default - SYNTHOPS_GIT_TOKEN, if set */
  readonly gitTokenFile?: string;
  /** `--ssh-key`. @default - ssh's default identities */
  readonly sshKey?: string;
  /** `--known-hosts`. @default - ssh's default known_hosts files */
  readonly knownHosts?: string;
}

/** One deploy commit, as `history -o json|yaml` prints it (kind `DeployHistory`). */
export interface HistoryItem {
  readonly sha: string;
  readonly committedAt: string;
  readonly subject: string;
  /** `Source-Commit:` trailer, or null. */
  readonly sourceCommit: string | null;
  /** `Source-Repo:` trailer, or null. */
  readonly sourceRepo: string | null;
  /** `Rollback-Of:`: the tip this rollback replaced, or null. */
  readonly rollbackOf: string | null;
  /** `Rollback-To:`: the commit whose tree this rollback restored, or null. */
  readonly rollbackTo: string | null;
  /** `Allow-Prune:` apps. */
  readonly allowPrune: readonly string[];
  /** Whether this commit is a rollback. */
  readonly rollback: boolean;
  /** The rollback commit that replaced this one as the tip, or null. */
  readonly rolledBackBy: string | null;
  /** Every trailer, by key. */
  readonly trailers: Readonly<Record<string, readonly string[]>>;
  /** The apps (`env/app`) whose AppSync has this as its last applied revision; empty when unknown. */
  readonly live: readonly string[];
}

const AGENT_DEPLOYMENT = 'synthops-agent';

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

/** `--repo` and `--branch` of the agent Deployment (as AgentInstall renders it), if it is there. */
async function agentSource(
  client: KubeClient,
  namespace: string,
): Promise<{ repo: string; branch: string } | undefined> {
  const d = await client.getOrUndefined<{
    spec?: { template?: { spec?: { containers?: Array<{ args?: string[] }> } } };
  }>(`/apis/apps/v1/namespaces/${namespace}/deployments/${AGENT_DEPLOYMENT}`);
  const args = d?.spec?.template?.spec?.containers?.[0]?.args ?? [];
  const repo = flagValue(args, '--repo');
  const branch = flagValue(args, '--branch');
  return repo && branch ? { repo, branch } : undefined;
}

/** The history rows from commits and the AppSyncs (pure). */
export function historyItems(commits: readonly DeployCommit[], syncs: readonly AppSync[]): HistoryItem[] {
  const first = (c: DeployCommit, key: string) => c.trailers[key]?.[0] ?? null;
  const replacedBy = new Map<string, string>();
  for (const c of commits) {
    const of = first(c, TRAILERS.rollbackOf);
    if (of) replacedBy.set(of, c.sha);
  }
  return commits.map((c) => ({
    sha: c.sha,
    committedAt: c.committedAt,
    subject: c.subject,
    sourceCommit: first(c, TRAILERS.sourceCommit),
    sourceRepo: first(c, TRAILERS.sourceRepo),
    rollbackOf: first(c, TRAILERS.rollbackOf),
    rollbackTo: first(c, TRAILERS.rollbackTo),
    allowPrune: (c.trailers[TRAILERS.allowPrune] ?? []).flatMap((v) =>
      v
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
    rollback: first(c, TRAILERS.rollbackTo) !== null,
    rolledBackBy: replacedBy.get(c.sha) ?? null,
    trailers: c.trailers,
    live: syncs
      .filter((s) => s.status?.lastAppliedRevision === c.sha)
      .map((s) => `${s.spec.env}/${s.spec.app}`)
      .sort(),
  }));
}

function notes(i: HistoryItem): string {
  const n: string[] = [];
  if (i.rollbackTo) n.push(`rollback to ${i.rollbackTo.slice(0, 12)}`);
  if (i.rolledBackBy) n.push(`rolled back by ${i.rolledBackBy.slice(0, 12)}`);
  if (i.allowPrune.length > 0) n.push(`allow-prune ${i.allowPrune.join(',')}`);
  return n.join('; ') || '-';
}

/** `synthops history`: the deploy branch's commits with their trailers, which one is live, rollbacks marked. */
export async function runHistory(opts: HistoryCommandOptions, io: Output): Promise<number> {
  const format = outputFormat(opts.output);
  const limit = Number(opts.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit: "${opts.limit}" is not a positive whole number`);
  if (Boolean(opts.repo) !== Boolean(opts.branch)) throw new UsageError('--repo and --branch go together');
  const namespace = agentNamespaceOf(opts);
  // The cluster is optional here: it only adds which revision is live.
  let client: KubeClient | undefined;
  let clusterError: string | undefined;
  try {
    client = clusterClient(opts);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    clusterError = (e as Error).message;
  }
  try {
    let source = opts.repo && opts.branch ? { repo: opts.repo, branch: opts.branch } : undefined;
    if (!source && client) source = await agentSource(client, namespace).catch(() => undefined);
    if (!source)
      throw new UsageError(
        `history needs --repo and --branch (the deploy branch); there is no agent Deployment ${AGENT_DEPLOYMENT} in namespace ${namespace} to read them from`,
      );
    const repo = new DeployRepo({
      url: source.repo,
      branch: source.branch,
      depth: Math.max(limit, 50),
      auth: gitAuth(opts),
    });
    let commits: DeployCommit[];
    try {
      commits = await repo.history(limit);
      const failed = repo.fetchState.error;
      if (failed) throw new SynthopsError(failed);
    } finally {
      repo.dispose();
    }
    let syncs: AppSync[] = [];
    if (client) {
      try {
        syncs = (await new StatusStore(client, namespace).list()).filter((s) => !opts.env || s.spec.env === opts.env);
      } catch (e) {
        clusterError = (e as Error).message;
      }
    }
    const liveKnown = clusterError === undefined;
    if (!liveKnown) io.err(`warning: which revision is live is not shown: ${clusterError}`);
    const items = historyItems(commits, syncs);
    if (format === 'json' || format === 'yaml') {
      printDocument(
        io,
        format,
        document('DeployHistory', items, { repo: redactUrl(source.repo), branch: source.branch, namespace, liveKnown }),
      );
      return 0;
    }
    if (items.length === 0) {
      io.out(`no commits on ${redactUrl(source.repo)} ${source.branch}`);
      return 0;
    }
    const wide = format === 'wide';
    const rows = [
      wide
        ? ['COMMIT', 'DATE', 'SUBJECT', 'SOURCE-COMMIT', 'SOURCE-REPO', 'LIVE', 'NOTES']
        : ['COMMIT', 'DATE', 'SUBJECT', 'SOURCE-COMMIT', 'LIVE', 'NOTES'],
    ];
    for (const i of items) {
      const live = i.live.length === 0 ? (liveKnown ? '-' : '?') : i.live.join(',');
      rows.push(
        wide
          ? [i.sha, i.committedAt, oneLine(i.subject, 100), i.sourceCommit ?? '-', i.sourceRepo ?? '-', live, notes(i)]
          : [
              i.sha.slice(0, 12),
              i.committedAt.replace(/T(\d\d:\d\d).*$/, ' $1'),
              oneLine(i.subject, 50),
              i.sourceCommit?.slice(0, 12) ?? '-',
              live,
              notes(i),
            ],
      );
    }
    for (const l of table(rows)) io.out(l);
    return 0;
  } finally {
    client?.close();
  }
}
