import { Command } from 'commander';
import { LAYOUT_CHOICES, LayoutChoice, RenderSettings } from '../agent/source/render';
import { UsageError } from '../model/errors';
import { HelmHookPolicy } from '../render/helm';
import { duration } from './flags';

/** The agent's flags for Kustomize and Helm sources. */
export interface RenderCommandOptions {
  /** `--layout`: how the source folder is read. @default 'auto' */
  readonly layout?: string;
  /** `--allow-remote-bases`: kustomize may fetch remote bases. @default false */
  readonly allowRemoteBases?: boolean;
  /** `--helm-release`: Helm release name. @default - the app name */
  readonly helmRelease?: string;
  /** `--helm-values`: values files relative to the chart. @default - none */
  readonly helmValues?: string[];
  /** `--helm-set`: `key=value` values. @default - none */
  readonly helmSet?: string[];
  /** `--helm-hooks`: refuse or skip the chart's hooks. @default 'refuse' */
  readonly helmHooks?: string;
  /** `--render-timeout`: time limit of one render. @default '1m' */
  readonly renderTimeout?: string;
  /** `--render-max-output`: output limit of one render (`64Mi`). @default '64Mi' */
  readonly renderMaxOutput?: string;
}

// Repeatable, never split: helm's own --set syntax uses commas.
function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Adds the render flags to the agent command. */
export function addRenderFlags(cmd: Command): Command {
  return cmd
    .option(
      '--layout <layout>',
      `how the folder is read: ${LAYOUT_CHOICES.join(', ')} (auto: index.json is synthops output, kustomization.yaml kustomize, Chart.yaml helm, else plain YAML)`,
      'auto',
    )
    .option('--allow-remote-bases', 'kustomize: allow remote (Git, http) bases and files, fetched at every render')
    .option('--helm-release <name>', 'helm: release name (default: the app name)')
    .option(
      '--helm-values <file>',
      'helm: values file, relative to the chart and inside the repo (repeatable; later files win)',
      repeat,
    )
    .option(
      '--helm-set <key=value>',
      'helm: a value, as helm --set takes it (repeatable; wins over values files)',
      repeat,
    )
    .option(
      '--helm-hooks <policy>',
      'helm: refuse a chart with hooks, or skip its hooks (each skipped hook is a warning)',
      'refuse',
    )
    .option('--render-timeout <duration>', 'time limit of one kustomize or helm render', '1m')
    .option('--render-max-output <size>', 'output limit of one render, in bytes or with Ki/Mi/Gi', '64Mi');
}

/** Bytes of `64Mi`-style sizes. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: "${value}" is not a size (bytes, or a number with Ki, Mi or Gi)`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 ** 3 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Ki' ? 1024 : 1);
}

/** The load settings the render flags ask for; a bad value is a usage error naming the flag. */
export function renderOptions(opts: RenderCommandOptions): {
  readonly layout: LayoutChoice;
  readonly render: RenderSettings;
} {
  const layout = (opts.layout ?? 'auto') as LayoutChoice;
  if (!LAYOUT_CHOICES.includes(layout))
    throw new UsageError(`--layout: "${opts.layout}" is not one of ${LAYOUT_CHOICES.join(', ')}`);
  const hooks = (opts.helmHooks ?? 'refuse') as HelmHookPolicy;
  if (hooks !== 'refuse' && hooks !== 'skip')
    throw new UsageError(`--helm-hooks: "${opts.helmHooks}" is not refuse or skip`);
  return {
    layout,
    render: {
      kustomize: { allowRemoteBases: opts.allowRemoteBases ?? false },
      helm: { releaseName: opts.helmRelease, valuesFiles: opts.helmValues, set: opts.helmSet, hooks },
      limits: {
        timeoutMs: opts.renderTimeout ? duration('--render-timeout', opts.renderTimeout) : undefined,
        maxOutputBytes: opts.renderMaxOutput ? parseSize('--render-max-output', opts.renderMaxOutput) : undefined,
      },
    },
  };
}
