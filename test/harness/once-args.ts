/** The command line of `synthops agent --once` as tests and benches spawn it. */
import * as path from 'path';
import { REPO_ROOT } from './config-repo';

/** The CLI entry of this checkout (run it with `process.execPath`). */
export const SYNTHOPS_BIN = path.join(REPO_ROOT, 'bin', 'synthops');

/** Flags of {@link agentOnceArgs}; an absent one is left out, so the agent's own default holds. */
export interface AgentOnceArgs {
  /** `--repo`. */
  readonly repo: string;
  /** `--branch`. @default 'deploy' */
  readonly branch?: string;
  /** `--app` (plain YAML and rendered sources). @default - not passed */
  readonly app?: string;
  /** `--namespace`. @default - not passed */
  readonly namespace?: string;
  /** `--agent-namespace`; `null` leaves it to the agent (synthops-system). @default - `namespace` */
  readonly agentNamespace?: string | null;
  /** `--kubeconfig`. @default - not passed */
  readonly kubeconfig?: string;
  /** `--workdir`. @default - not passed */
  readonly workdir?: string;
  /** `--timeout`. @default - not passed */
  readonly timeout?: string;
  /** Further flags of this one test, appended last. @default [] */
  readonly extra?: readonly string[];
}

/** `agent --once` and its flags, in one fixed order (commander does not care about it). */
export function agentOnceArgs(o: AgentOnceArgs): string[] {
  const agentNamespace = o.agentNamespace === undefined ? o.namespace : (o.agentNamespace ?? undefined);
  const flag = (name: string, value: string | undefined): string[] => (value === undefined ? [] : [name, value]);
  return [
    'agent',
    '--once',
    ...flag('--repo', o.repo),
    ...flag('--branch', o.branch ?? 'deploy'),
    ...flag('--app', o.app),
    ...flag('--namespace', o.namespace),
    ...flag('--agent-namespace', agentNamespace),
    ...flag('--kubeconfig', o.kubeconfig),
    ...flag('--workdir', o.workdir),
    ...flag('--timeout', o.timeout),
    ...(o.extra ?? []),
  ];
}
