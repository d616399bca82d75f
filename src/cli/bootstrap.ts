import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LoadError, SourceError } from '../agent/source/errors';
import { KubeClient } from '../kube/client';
import { formatResult } from '../agent/reconcile/report';
import { redactUrl } from '../agent/source/fetch';
import { BootstrapError, bootstrap } from '../bootstrap/bootstrap';
import { duration, gitAuth, webhookSecret } from './flags';
import { Output } from './output';

/** Flags of `synthops bootstrap`. */
export interface BootstrapCommandOptions {
  readonly repo: string;
  readonly branch: string;
  readonly path: string;
  /** `--env`: environment of the synth output. @default - the output's only environment */
  readonly env?: string;
  readonly app: string;
  /** `--kubeconfig`: kubeconfig of an admin. @default - KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  /** `--dry-run`: server-side dry-run only, write nothing. @default false */
  readonly dryRun?: boolean;
  readonly timeout: string;
  /** `--git-token-file`: file with a token for https remotes. @default - SYNTHOPS_GIT_TOKEN, if set */
  readonly gitTokenFile?: string;
  /** `--ssh-key`: private key for ssh remotes. @default - ssh's default identities */
  readonly sshKey?: string;
  /** `--known-hosts`: known_hosts file for ssh remotes. @default - ssh's default known_hosts files */
  readonly knownHosts?: string;
  /** `--webhook-secret-file`: webhook secret for the agent's Secret. @default - SYNTHOPS_WEBHOOK_SECRET, else none */
  readonly webhookSecretFile?: string;
}

/** `synthops bootstrap`: install the agent from the deploy branch. Exit 0 when it is ready. */
export async function runBootstrap(opts: BootstrapCommandOptions, io: Output): Promise<number> {
  const timeoutMs = duration('--timeout', opts.timeout);
  const secret = webhookSecret(opts.webhookSecretFile);
  const client = KubeClient.fromKubeconfig(opts.kubeconfig);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-bootstrap-'));
  try {
    const r = await bootstrap({
      client,
      repo: opts.repo,
      branch: opts.branch,
      path: opts.path,
      env: opts.env,
      app: opts.app,
      workdir,
      auth: gitAuth(opts),
      webhookSecret: secret,
      dryRun: opts.dryRun,
      timeoutMs,
    });
    io.out(
      `deploy branch ${redactUrl(opts.repo)} ${opts.branch} at ${r.revision.sha.slice(0, 12)}; agent namespace ${r.namespace}; credentials Secret: ${r.secret}`,
    );
    for (const line of formatResult(r.result, opts.dryRun ?? false)) io.out(line);
    if (opts.dryRun) {
      io.out('dry run: nothing was written');
      return r.result.apps.every((a) => a.status === 'Planned') ? 0 : 1;
    }
    if (!r.result.converged) return 1;
    io.out(
      [
        'the agent is installed and will manage itself from Git. Next:',
        `  synthops status --agent-namespace ${r.namespace}          # every app, as the agent sees it`,
        `  kubectl -n ${r.namespace} get appsyncs                      # the same, with kubectl`,
        `  point your Git host's push webhook at http://synthops-agent.${r.namespace}.svc/webhook (expose it as you expose other services)`,
        '  change the AgentInstall app (interval, image) and publish: the agent rolls itself',
      ].join('\n'),
    );
    return 0;
  } catch (e) {
    if (e instanceof SourceError || e instanceof LoadError || e instanceof BootstrapError) {
      io.err(`error: ${e.message}`);
      io.err('nothing was installed');
      return 1;
    }
    throw e;
  } finally {
    client.close();
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}
