import { Argument, Command } from 'commander';
import { agentNamespaceOptions, clusterOptions, outputOption } from './cluster-options';
import { Output } from './output';

// The commands operators reach for once the agent runs, registered in one place so
// main.ts stays a list. Each lives in its own module, loaded only when it runs.

/** Adds reconcile, suspend, resume, events, tree, history, version and completion to `program`. */
export function registerOperatorCommands(program: Command, io: Output, result: { code: number }): void {
  const cluster = (c: Command) => agentNamespaceOptions(clusterOptions(c, { as: true }));

  cluster(
    program
      .command('reconcile')
      .description(
        'ask the running agent to reconcile now, through an annotation on the AppSync it watches (no webhook secret needed)',
      )
      .argument('[app]', 'app to reconcile (default: every app in the namespace)')
      .option('--env <name>', 'only this environment')
      .option('--source <name>', "only the apps of this source (the agent's --source)")
      .option('--wait', 'print progress until the agent has reconciled; exit 0 only when converged')
      .option('--timeout <duration>', 'how long --wait waits', '5m'),
  ).action(async (app, opts) => {
    result.code = await (await import('./reconcile')).runReconcile(app, opts, io);
  });

  cluster(
    program
      .command('suspend')
      .description('stop the agent writing an app (synthops.dev/suspend on its AppSync); drift is still reported')
      .argument('<app>', 'app to suspend')
      .option('--env <name>', "the app's environment, when it is in several"),
  ).action(async (app, opts) => {
    result.code = await (await import('./suspend')).runSuspend(app, true, opts, io);
  });

  cluster(
    program
      .command('resume')
      .description('let the agent write a suspended app again, and reconcile it now')
      .argument('<app>', 'app to resume')
      .option('--env <name>', "the app's environment, when it is in several")
      .option('--wait', 'print progress until the agent has reconciled it; exit 0 only when converged')
      .option('--timeout <duration>', 'how long --wait waits', '5m'),
  ).action(async (app, opts) => {
    result.code = await (await import('./suspend')).runSuspend(app, false, opts, io);
  });

  outputOption(
    cluster(
      program
        .command('events')
        .description('recent Events of the apps (their AppSyncs), oldest first; --watch follows new ones')
        .argument('[app]', 'only this app')
        .option('--env <name>', 'only this environment')
        .option('-w, --watch', 'after the list, print new Events as they come (Ctrl-C stops)'),
    ),
  ).action(async (app, opts) => {
    result.code = await (await import('./events')).runEvents(app, opts, io);
  });

  outputOption(
    cluster(
      program
        .command('tree')
        .description(
          "an app's inventory as it is live: each object with its health, and the ReplicaSets and Pods its workloads own",
        )
        .argument('<app>', 'app')
        .option('--env <name>', "the app's environment, when it is in several"),
    ),
  ).action(async (app, opts) => {
    result.code = await (await import('./tree')).runTree(app, opts, io);
  });

  outputOption(
    cluster(
      program
        .command('history')
        .description(
          'deploy commits with their trailers (Source-Commit, Rollback-Of/To, Allow-Prune), which one is live per app, rollbacks marked',
        )
        .option(
          '--repo <url>',
          'deploy repo (default: the --repo of the agent Deployment synthops-agent in the namespace)',
        )
        .option('--branch <name>', 'deploy branch (with --repo)')
        .option('--limit <n>', 'how many commits, newest first', '20')
        .option('--env <name>', "mark only this environment's live revisions")
        .option('--git-token-file <file>', 'file with a token for https remotes (or SYNTHOPS_GIT_TOKEN)')
        .option('--ssh-key <file>', 'private key for ssh remotes')
        .option('--known-hosts <file>', 'known_hosts for ssh remotes'),
    ),
  ).action(async (opts) => {
    result.code = await (await import('./history')).runHistory(opts, io);
  });

  outputOption(
    cluster(
      program
        .command('version')
        .description(
          "the CLI's version and, when the cluster answers, the running agent's (from the synthops.dev/agent-version annotation on its AppSyncs)",
        )
        .option('--client', "the CLI's version only; ask no cluster"),
    ),
    ['table', 'json', 'yaml'],
  ).action(async (opts) => {
    result.code = await (await import('./version')).runVersion(opts, io);
  });

  program
    .command('completion')
    .description('print a shell completion script: source <(synthops completion bash)')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(async (shell) => {
      result.code = (await import('./completion')).runCompletion(shell, program, io);
    });
}
