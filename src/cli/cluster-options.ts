import { Command, InvalidArgumentError, Option } from 'commander';

// Flags shared by the commands that talk to a cluster, declared once so that every
// command spells them as kubectl does. Loads nothing but commander: main.ts imports it
// for every command, including `synth`.

/** Where the agent keeps its AppSyncs, inventories, Events and Lease unless told otherwise. */
export const DEFAULT_AGENT_NAMESPACE = 'synthops-system';

/** Values of `-o, --output`. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;

/** A repeatable flag whose values may also be comma separated. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** `--kubeconfig`, `--context` and, with `as`, `--as` and `--as-group` (impersonation, as kubectl's). */
export function clusterOptions(c: Command, o: { readonly as?: boolean } = {}): Command {
  c.option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)').option(
    '--context <name>',
    'kubeconfig context (default: its current-context)',
  );
  if (o.as) {
    c.option(
      '--as <user>',
      'act as this user (impersonation, as kubectl --as; e.g. system:serviceaccount:ns:name)',
    ).option('--as-group <group>', 'act with this group too (repeatable; needs --as)', repeatable);
  }
  return c;
}

/** `-n, --namespace`: the agent's namespace, where the AppSyncs are (`--agent-namespace` still works). */
export function agentNamespaceOptions(c: Command): Command {
  return c
    .option(
      '-n, --namespace <name>',
      `the agent's namespace: its AppSyncs, inventories and Events (default: ${DEFAULT_AGENT_NAMESPACE})`,
    )
    .addOption(new Option('--agent-namespace <name>', 'same as --namespace').hideHelp());
}

/** The agent namespace from `-n` or `--agent-namespace`. */
export function agentNamespaceOf(opts: { readonly namespace?: string; readonly agentNamespace?: string }): string {
  return opts.namespace ?? opts.agentNamespace ?? DEFAULT_AGENT_NAMESPACE;
}

/** `-o, --output table|wide|json|yaml` (`formats` narrows the choice). */
export function outputOption(c: Command, formats: readonly string[] = OUTPUT_FORMATS): Command {
  return c.addOption(new Option('-o, --output <format>', 'output format').choices(formats).default('table'));
}

/**
 * Parser of a folder flag spelled `-o, --out`: `-o json` (an output format on other
 * commands) must not quietly create a folder called json. A path (`./json`) passes.
 */
export function outDir(value: string): string {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(
      `here -o is --out, the output folder, not an output format; write --out ./${value} if you mean a folder named ${value}`,
    );
  }
  return value;
}
