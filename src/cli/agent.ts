import { LoadError, SourceError } from '../agent/source/errors';
import { agentOnce } from '../agent/reconcile/once';
import { formatLoad, formatResult } from '../agent/reconcile/report';
import { redactUrl } from '../agent/source/fetch';
import { UsageError } from '../model/errors';
import { sourceIdentity, sourceNameProblem } from '../model/source';
import { duration, gitAuth, signerTrust } from './flags';
import { SignatureError } from '../git/signing';
import { Output, progressStream } from './output';
import { appDoneLine, healthChanges, openProgress, verbosityOf, waitingLine } from './progress';
import { describeObject, refOf } from '../model/manifest';
import { AgentCommandOptions, decryptionOf, defaultWorkdir, repoName } from './agent-options';
import { renderOptions } from './render-flags';
import { clusterClient, objectNamespace } from './kube-flags';

/** `synthops agent`: the long-running pull agent; with `--once`, one reconcile and exit 0 only when converged. */
export async function runAgent(opts: AgentCommandOptions, io: Output): Promise<number> {
  // Every duration is checked first, with --once too: a typo is a usage error before anything runs.
  const timeoutMs = duration('--timeout', opts.timeout);
  duration('--interval', opts.interval);
  duration('--lease-duration', opts.leaseDuration);
  if (opts.renderTimeout !== undefined) duration('--render-timeout', opts.renderTimeout);
  const badSource = opts.source === undefined ? undefined : sourceNameProblem(opts.source);
  if (badSource) throw new UsageError(`--source: ${badSource}`);
  if (Boolean(opts.repo) !== Boolean(opts.branch)) throw new UsageError('--repo and --branch go together');
  // The long-running agent's modules (metrics, logging, HTTP server) load only when it runs.
  if (!opts.once) {
    if (!opts.repo && opts.gitSources === false)
      throw new UsageError('nothing to run: give --repo and --branch, or leave out --no-git-sources');
    return (await import('./agent-controller')).runController(opts, timeoutMs);
  }
  // One source per run: the GitSources of the cluster are the long-running agent's.
  if (!opts.repo || !opts.branch) throw new UsageError('--once needs --repo and --branch');
  if (opts.dependsOn?.length) throw new UsageError('--depends-on is for the long-running agent, not --once');
  const { repo, branch } = opts;
  // Progress is for the person watching (stderr); stdout keeps the report alone.
  const progress = openProgress(progressStream(io), opts);
  const quiet = verbosityOf(opts) === 'quiet';
  const client = clusterClient(opts);
  progress.start();
  try {
    progress.status(`fetching ${redactUrl(repo)} ${branch}`);
    const seen = new Map<string, string>();
    const { revision, loaded, result } = await agentOnce({
      repo: repo,
      branch: branch,
      workdir: opts.workdir ?? defaultWorkdir(repo, branch, opts.path, opts.source),
      auth: gitAuth(opts),
      verify: signerTrust(opts),
      path: opts.path,
      env: opts.env,
      app: opts.app,
      serviceAccount: opts.serviceAccount,
      fallbackName: repoName(repo),
      ...renderOptions(opts),
      client,
      dryRun: opts.dryRun,
      allowPrune: opts.allowPrune,
      pruneCrds: opts.pruneCrds,
      defaultNamespace: objectNamespace(opts.namespace, client),
      inventoryNamespace: opts.agentNamespace,
      ownApp: opts.ownApp,
      allowedServiceAccounts: opts.allowedServiceAccounts,
      source: opts.source,
      wait: { timeoutMs },
      waitForHealth: opts.wait !== false,
      decryption: decryptionOf(opts),
      onWritten: (app, m) => progress.detail(`${app}: applied ${describeObject(refOf(m))}`),
      progress: {
        applying: (apps) => progress.status(`applying ${apps.join(', ')}`),
        waiting: (health) => {
          for (const l of healthChanges(health, seen)) progress.detail(l);
          progress.status(waitingLine(health));
        },
        done: (r) => progress.line(appDoneLine(r, progress.paint)),
      },
    });
    progress.stop();
    const report = formatResult(result, opts.dryRun ?? false);
    if (quiet) {
      for (const a of result.apps) for (const e of a.errors) io.err(`error: ${a.app}: ${e}`);
      io.out(report[report.length - 1]);
      return result.converged ? 0 : 1;
    }
    const source = sourceIdentity({ url: redactUrl(repo), branch: branch, path: opts.path }, opts.source).name;
    io.out(`fetched ${redactUrl(repo)} ${branch} at ${revision.sha.slice(0, 12)} (source ${source})`);
    for (const line of formatLoad(loaded)) io.out(line);
    for (const line of report) io.out(line);
    io.out(
      `API requests: ${
        Object.entries(client.counts)
          .sort()
          .map(([verb, n]) => `${verb} ${n}`)
          .join(', ') || 'none'
      }`,
    );
    return result.converged ? 0 : 1;
  } catch (e) {
    progress.stop();
    if (e instanceof SourceError || e instanceof LoadError || e instanceof SignatureError) {
      io.err(`error: ${e.message}`);
      io.err('nothing was changed: the cluster stays at its last applied revision');
      return 1;
    }
    throw e;
  } finally {
    client.close();
  }
}
