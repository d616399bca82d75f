import { Command, CommanderError } from 'commander';
import { describeFailure } from './failure';
import { Output, exitQuietlyWhenOutputCloses, processOutput } from './output';
import { addRenderFlags } from './render-flags';
import {
  agentNamespaceOf,
  agentNamespaceOptions,
  clusterOptions,
  outDir,
  outputOption,
  repeatable,
} from './cluster-options';
import { registerOperatorCommands } from './operator';

// Commands are loaded when they run: `synth` must not pay for the Kubernetes client,
// git and metrics libraries that only the agent and the Git side need.
const agentCmd = () => import('./agent');
const gitSideCmd = () => import('./git-side');
const statusCmd = () => import('./status');
const sourcesCmd = () => import('./sources');
const synthCmd = () => import('./synth');
const initCmd = () => import('./init');
const bootstrapCmd = () => import('./bootstrap');
const inventoryCmd = () => import('./inventory');
const uiCmd = () => import('./ui');
const secretCmd = () => import('./secret');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

const collect = repeatable;

/** Builds the `synthops` command line. Each action stores its exit code in `result.code`. */
export function buildProgram(io: Output, result: { code: number }): Command {
  const program = new Command('synthops')
    .description('GitOps for typed cdk8s apps: synth, publish, and reconcile with a pull agent')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('synth')
    .description(
      'render the apps to dist/<env>/<app>/ plus dist/index.json; nothing is written unless every check passes',
    )
    .option('-e, --env <names>', 'render only these environments (repeatable, or comma separated)', collect)
    .option('-o, --out <dir>', 'output folder', outDir, 'dist')
    .option('-C, --root <dir>', 'config repo root', process.cwd())
    .option('--typecheck', 'type-check the apps while loading them (slower)', false)
    .option('--no-cache', 'load and render every app, and rewrite every output file (the output is the same)')
    .option(
      '--cache-dir <dir>',
      'synth cache folder, relative to the root like --out (default: node_modules/.cache/synthops/synth)',
    )
    .option('-q, --quiet', 'only errors and the final summary line')
    .option('-v, --verbose', 'also a line per object file written')
    .option('--no-color', 'no ANSI escapes in the progress on a terminal (also NO_COLOR; FORCE_COLOR forces them)')
    .action(async (opts) => {
      result.code = (await synthCmd()).runSynth(opts, io);
    });

  program
    .command('init')
    .description('scaffold a new config repo that synths out of the box')
    .argument('[dir]', 'folder to create (must be empty or missing)', '.')
    .option('--name <name>', 'package name of the config repo (default: the folder name)')
    .option(
      '--synthops-version <range>',
      'depend on this registry version range of synthops (default: ^version when synthops was installed from a registry)',
    )
    .option(
      '--from <dir>',
      'pack synthops from this checkout or installed copy into vendor/ (the default when synthops was not installed from a registry)',
    )
    .option('--no-lockfile', 'do not write package-lock.json (it needs npm and its registry or cache)')
    .action(async (dir, opts) => {
      result.code = (await initCmd()).runInit(dir, opts, io);
    });

  const agent = program
    .command('agent')
    .description(
      'the pull agent: make the cluster equal to a branch of synthops output, plain YAML, a Kustomize folder or a Helm chart',
    )
    .option(
      '--repo <url>',
      'Git remote: file://, https:// (token: SYNTHOPS_GIT_TOKEN or --git-token-file), ssh:// or git@host:path (required with --once; without it, only the GitSources of the agent namespace run)',
    )
    .option('--branch <name>', 'deploy branch (required with --repo)')
    .option(
      '--path <dir>',
      'folder in the branch: synthops output (with index.json), plain YAML, a Kustomize folder or a Helm chart (see --layout)',
      '.',
    )
    .option('--env <name>', 'environment to apply from synthops output (required when it has several)')
    .option('--app <name>', 'app name for plain YAML (default: the folder name)')
    .option(
      '--service-account <namespace/name>',
      'apply plain YAML as this ServiceAccount (impersonation); synthops output names it per app',
    )
    .option('--once', 'reconcile one revision and exit: 0 converged, 1 otherwise')
    .option('--interval <duration>', 'how often to poll the branch (with 10% jitter)', '1m')
    .option('--listen <[host:]port>', 'address of /healthz, /readyz, /metrics and /webhook', '8080')
    .option(
      '--webhook-secret-file <file>',
      'HMAC secret of POST /webhook (or SYNTHOPS_WEBHOOK_SECRET); without one every webhook is refused',
    )
    .option(
      '--notify-url <url>',
      'POST an alert here on failures, held prunes, degraded health, drift repairs; for github/gitlab the API base URL (commit statuses)',
    )
    .option(
      '--notify-format <format>',
      'json, slack ({ text }), msteams (Adaptive Card), discord, github or gitlab (commit status synthops/<env>/<app> on the source commit)',
      'json',
    )
    .option(
      '--notify-template <text>',
      'wording of alerts and status descriptions; placeholders {{app}} {{env}} {{revision}} {{reason}} {{message}}',
    )
    .option('--notify-token-file <file>', 'file with the API token for github/gitlab commit statuses (never logged)')
    .option(
      '--notify-repo <path>',
      'forge repo of the commit statuses, owner/name (default: from the Source-Repo trailer, else from --repo)',
    )
    .option('--suspend <apps>', 'apps whose writes are suspended (drift still reported); comma separated', collect)
    .option('--leader-elect', 'run several replicas: only the holder of the Lease reconciles')
    .option(
      '--lease-duration <duration>',
      'how long a leader holds the Lease without renewing; a standby takes over after it',
      '15s',
    )
    .option('--identity <name>', 'leader election identity (default: hostname-pid)')
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .option('--dry-run', 'validate and print the plan; write nothing')
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .option('--timeout <duration>', 'how long to wait for readiness and health', '2m')
    .option('--no-wait', 'do not wait for health after applying (applied counts as converged)')
    .option('--allow-prune <apps>', 'apps allowed past the prune guards (comma separated, * for all)', collect)
    .option('--prune-crds', 'also prune CustomResourceDefinitions that left Git (deletes their custom resources)')
    .option(
      '-n, --namespace <name>',
      "namespace for namespaced objects that name none (default: the context's namespace, else default)",
    )
    .option(
      '--agent-namespace <name>',
      "the agent's namespace: inventories, AppSync status, Events, Lease",
      'synthops-system',
    )
    .option(
      '--own-app <name>',
      "the app that installs this agent: the agent's namespace is reserved for it (AgentInstall sets it)",
    )
    .option(
      '--allowed-service-accounts <list>',
      'ServiceAccounts (namespace/name, comma separated) apps may be applied as; others are refused (AgentInstall sets it; default: any outside kube-system and the agent namespace)',
      collect,
    )
    .option(
      '--source <name>',
      'name of this source: it owns, lists and prunes only its own inventories and AppSyncs (default: derived from --repo, --branch and --path)',
    )
    .option(
      '--no-git-sources',
      'run only the --repo source: do not run the GitSources of the agent namespace (--once never runs them)',
    )
    .option(
      '--depends-on <sources>',
      'sources (GitSource names) whose apps must all be Ready before the --repo source reconciles; comma separated',
      collect,
    )
    .option('--workdir <dir>', 'where the checkout is kept between runs')
    .option('--git-token-file <file>', 'file with a token for https remotes')
    .option('--ssh-key <file>', 'private key for ssh remotes')
    .option('--known-hosts <file>', 'known_hosts for ssh remotes')
    .option('--verify-signatures', 'apply a tip only if its commit is signed by a trusted key (git verify-commit)')
    .option(
      '--allowed-signers <file>',
      'SSH allowed-signers file (principal and public key per line) for --verify-signatures',
    )
    .option('--revoked-keys <file>', 'SSH public keys that no longer count, for --verify-signatures')
    .option(
      '--trusted-gnupg-home <dir>',
      'GnuPG home whose public keyring holds the trusted OpenPGP keys, for --verify-signatures',
    )
    .option('-q, --quiet', 'with --once: only errors and the final summary line, no progress')
    .option('-v, --verbose', 'with --once: also a progress line per object written and per health change')
    .option('--no-color', 'no ANSI colours or line erasing in the progress (also NO_COLOR; FORCE_COLOR forces them)')
    .option(
      '--decryption-secret <name>',
      "Secret in the agent's namespace whose *.agekey entries (age identities) decrypt SOPS-encrypted objects, in memory",
    )
    .action(async (opts) => {
      result.code = await (await agentCmd()).runAgent(opts, io);
    });
  // Kustomize and Helm sources: layout detection, render settings and limits.
  addRenderFlags(agent);

  const gitFlags = (c: Command) =>
    c
      .option('--git-token-file <file>', 'file with a token for https remotes (or SYNTHOPS_GIT_TOKEN)')
      .option('--ssh-key <file>', 'private key for ssh remotes')
      .option('--known-hosts <file>', 'known_hosts for ssh remotes');

  // Deploy commits signed with git's own signing, checked by `agent --verify-signatures`.
  const signFlags = (c: Command) =>
    c
      .option('--sign-key <key>', 'sign the commit: an SSH private key file (or, with --sign-format openpgp, a key id)')
      .option('--sign-format <format>', 'ssh or openpgp', 'ssh')
      .option('--gnupg-home <dir>', "GnuPG home holding the OpenPGP secret key (default: gpg's own)");

  signFlags(
    gitFlags(
      program
        .command('publish')
        .description(
          'synth, then commit dist/ to the deploy branch (one commit per source commit, none when unchanged unless --allow-prune approves something new, never forced; refused over a rollback unless the source commit is newer than what it rolled back from)',
        )
        .requiredOption('--repo <url>', 'deploy repo')
        .requiredOption('--branch <name>', 'deploy branch (created as an orphan branch if missing)')
        .option(
          '--source-commit <sha>',
          'source commit for the Source-Commit trailer (default: HEAD of the config repo)',
        )
        .option('--source-repo <url>', 'source repo for the Source-Repo trailer (default: its origin remote)')
        .option('-o, --out <dir>', 'synth output folder', outDir, 'dist')
        .option('-C, --root <dir>', 'config repo root', process.cwd())
        .option('--skip-synth', 'publish the existing dist/ (verified against its index) instead of running synth')
        .option(
          '--allow-prune <apps>',
          'approve the held prunes of these apps (repeatable, or comma separated; * for all) with an Allow-Prune trailer; commits even when the output is unchanged, so the approval reaches the agent',
          collect,
        )
        .option(
          '--force-after-rollback',
          'publish even when the tip is a rollback and the source commit is not newer than what it rolled back from (undoes the rollback)',
        )
        .option('--no-cache', 'synth without the synth cache (the output is the same)')
        .option(
          '--cache-dir <dir>',
          'synth cache folder, relative to the root (default: node_modules/.cache/synthops/synth)',
        ),
    ),
  ).action(async (opts) => {
    result.code = await (await gitSideCmd()).runPublish(opts, io);
  });

  gitFlags(
    program
      .command('diff')
      .description(
        'what would change: local dist/ against the deploy branch, or (--cluster) against the live cluster; exit 1 when different',
      )
      .option('--repo <url>', 'deploy repo')
      .option('--branch <name>', 'deploy branch')
      .option('--cluster', 'compare with the live cluster by server-side dry-run, fields synthops owns only')
      .option('-e, --env <name>', 'environment (required with --cluster when there are several)')
      .option('--kubeconfig <file>', 'kubeconfig for --cluster')
      .option('--context <name>', 'kubeconfig context for --cluster (default: its current-context)')
      .option(
        '-n, --namespace <name>',
        "the agent's namespace (inventories, for removed objects; default: synthops-system)",
      )
      .option('--agent-namespace <name>', 'same as --namespace')
      .option('-o, --out <dir>', 'synth output folder', outDir, 'dist')
      .option('-C, --root <dir>', 'config repo root', process.cwd())
      .option('--skip-synth', 'compare the existing dist/ without running synth')
      .option('--no-color', 'plain text even on a terminal (also NO_COLOR; FORCE_COLOR colours a pipe)')
      .option('--no-cache', 'synth without the synth cache (the output is the same)')
      .option(
        '--cache-dir <dir>',
        'synth cache folder, relative to the root (default: node_modules/.cache/synthops/synth)',
      ),
  ).action(async (opts) => {
    result.code = await (await gitSideCmd()).runDiff({ ...opts, agentNamespace: agentNamespaceOf(opts) }, io);
  });

  signFlags(
    gitFlags(
      program
        .command('rollback')
        .description('a new commit on the deploy branch whose tree equals REV (history is never rewritten)')
        .argument('<rev>', 'deploy commit to restore')
        .requiredOption('--repo <url>', 'deploy repo')
        .requiredOption('--branch <name>', 'deploy branch'),
    ),
  ).action(async (rev, opts) => {
    result.code = await (await gitSideCmd()).runRollback(rev, opts, io);
  });

  signFlags(
    gitFlags(
      program
        .command('set-image')
        .description("pin a new image for one app in one environment in the config repo's apps/images.yaml")
        .requiredOption('-e, --env <name>', 'environment')
        .requiredOption('-a, --app <name>', 'app')
        .requiredOption('--image <ref>', 'image reference with a tag (not latest) or a digest')
        .option('--repo <url>', 'config repo to clone, edit, commit and push (default: edit the local repo)')
        .option('--branch <name>', 'branch of --repo', 'main')
        .option('-C, --root <dir>', 'local config repo root', process.cwd()),
    ),
  ).action(async (opts) => {
    result.code = await (await gitSideCmd()).runSetImage(opts, io);
  });

  gitFlags(
    program
      .command('bootstrap')
      .description(
        'install the agent from the deploy branch (its AgentInstall app) and the Git credentials Secret; from then on it manages itself',
      )
      .requiredOption('--repo <url>', 'deploy repo')
      .requiredOption('--branch <name>', 'deploy branch')
      .option('--path <dir>', 'folder in the branch', '.')
      .option('--env <name>', 'environment (required when the output has several)')
      .option('--app <name>', 'the app that installs the agent', 'synthops-agent')
      .option('--kubeconfig <file>', 'kubeconfig of an admin (default: KUBECONFIG, ~/.kube/config)')
      .option('--webhook-secret-file <file>', 'webhook secret for the agent (or SYNTHOPS_WEBHOOK_SECRET)')
      .option('--timeout <duration>', 'how long to wait for the agent to be ready', '3m')
      .option('--dry-run', 'server-side dry-run only; write nothing'),
  ).action(async (opts) => {
    result.code = await (await bootstrapCmd()).runBootstrap(opts, io);
  });

  outputOption(
    agentNamespaceOptions(
      clusterOptions(
        program
          .command('status')
          .description(
            'per app: revision, readiness, last sync, commit-to-converged; with an app name, why it is not converged',
          )
          .argument('[app]', 'app to explain')
          .option('--env <name>', 'only this environment'),
        { as: true },
      ),
    ),
  ).action(async (app, opts) => {
    result.code = await (await statusCmd()).runStatus(app, opts, io);
  });

  outputOption(
    agentNamespaceOptions(
      clusterOptions(
        program
          .command('sources')
          .description(
            "the GitSources of the agent's namespace: revision, readiness and why (like flux get sources git)",
          ),
      ),
    ),
  ).action(async (opts) => {
    result.code = await (await sourcesCmd()).runSources(opts, io);
  });

  gitFlags(
    program
      .command('ui')
      .description(
        'a read-only web dashboard on 127.0.0.1, reading the cluster as you (your kubeconfig); prints its URL, opens nothing',
      )
      .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '8090')
      .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (default: its current-context)')
      .option('-n, --namespace <name>', "the agent's namespace (default: synthops-system)")
      .option('--agent-namespace <name>', 'same as --namespace')
      .option('--repo <url>', 'deploy repo: compare objects with Git and show the branch history')
      .option('--branch <name>', 'deploy branch (with --repo)')
      .option('--path <dir>', 'folder in the branch', '.'),
  ).action(async (opts) => {
    result.code = await (await uiCmd()).runUi({ ...opts, agentNamespace: agentNamespaceOf(opts) }, io);
  });

  // SOPS-encrypted Secrets in the config repo, with its .sops.yaml rules.
  const secret = program
    .command('secret')
    .description(
      "SOPS-encrypted Secrets in the config repo (sops with the repo's .sops.yaml rules, run from its root)",
    );
  secret
    .command('encrypt')
    .description('encrypt a plain Secret YAML file in place for the recipients of its .sops.yaml creation rule')
    .argument('<file>', 'the Secret file, inside the config repo')
    .option('-C, --root <dir>', 'config repo root', process.cwd())
    .action(async (file, opts) => {
      result.code = (await secretCmd()).runSecretEncrypt(file, opts, io);
    });
  secret
    .command('edit')
    .description('decrypt an encrypted Secret into $EDITOR and encrypt it again on save (needs your age identity)')
    .argument('<file>', 'the encrypted file, inside the config repo')
    .option('-C, --root <dir>', 'config repo root', process.cwd())
    .action(async (file, opts) => {
      result.code = (await secretCmd()).runSecretEdit(file, opts, io);
    });

  registerOperatorCommands(program, io, result);
  const inventory = program
    .command('inventory')
    .description("the agent's records per app (inventory ConfigMaps and AppSyncs) and the source that owns each");
  const inventoryFlags = (c: Command) =>
    c
      .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)')
      .option('--agent-namespace <name>', "the agent's namespace", 'synthops-system')
      .option('--env <name>', 'only this environment')
      .option('--app <apps>', 'only these apps (repeatable, or comma separated)', collect);
  inventoryFlags(
    inventory
      .command('list')
      .description('every inventory with its source, object count and where the source read from')
      .option('--source <name>', 'only this source'),
  ).action(async (opts) => {
    result.code = await (await inventoryCmd()).runInventoryList(opts, io);
  });
  inventoryFlags(
    inventory
      .command('release')
      .description(
        'hand the records of a source that no longer runs to no source: the first source that claims each app adopts it (nothing is deleted)',
      )
      .requiredOption('--source <name>', 'the source whose records are released'),
  ).action(async (opts) => {
    result.code = await (await inventoryCmd()).runInventoryHandover({ ...opts, from: opts.source, to: undefined }, io);
  });
  inventoryFlags(
    inventory
      .command('adopt')
      .description(
        'hand the records of a source that no longer runs to another source, which then owns (and, within the guards, prunes) its apps',
      )
      .option(
        '--from <name>',
        'the source whose records are adopted (default: records of no source; then --app is required)',
      )
      .requiredOption(
        '--source <name>',
        'the adopting source (as its agent runs: --source, or the name `inventory list` shows)',
      ),
  ).action(async (opts) => {
    result.code = await (await inventoryCmd()).runInventoryHandover({ ...opts, from: opts.from, to: opts.source }, io);
  });

  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 job failed, 2 bad usage). */
export async function main(argv: string[], io: Output = processOutput): Promise<number> {
  if (io === processOutput) exitQuietlyWhenOutputCloses();
  const result = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const failure = describeFailure(e);
    io.err(failure.line);
    if (process.env.SYNTHOPS_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return failure.exitCode;
  }
}
