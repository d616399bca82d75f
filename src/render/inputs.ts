/**
 * What a render reads, and one digest of it: the tool (name, version, binary), the
 * settings, and the whole content of every folder and file the render may read. Two
 * renders with the same digest print the same YAML, so a render can be reused by its
 * digest (the agent's render cache, cache.ts) and the synth cache can key a module on
 * the same inputs (a Kustomization or HelmChart construct reports them, report.ts).
 *
 * Folders are taken whole (every file below, `.git` left out), not just the files the
 * tool opens: a kustomization's patch or a chart's `.Files.Get` can name any of them.
 * A render that reads what a digest cannot cover (remote bases, a symlink to a folder)
 * has no digest and is never reused.
 */
import * as fs from 'fs';
import * as path from 'path';
import { sha256 } from '../model/hash';
import { RepoRoot } from './confine';
import { HelmSettings } from './helm';
import { KustomizeSettings } from './kustomize';
import { walkKustomizations } from './kustomize-check';
import { Tool } from './tools';

/** The inputs of one render. */
export interface RenderInputs {
  readonly tool: Tool;
  /** Folders whose whole content is read (absolute). */
  readonly trees: readonly string[];
  /** Single files read (absolute): values files outside the chart. */
  readonly files: readonly string[];
  /** The settings that shape the output (release name, values, ...), as JSON. */
  readonly settings: string;
  /** Why the render cannot be keyed by its inputs. @default - none: it can */
  readonly uncacheable?: string;
}

const MISSING = '-';

/** The inputs of `kustomize build` of `dir` (inside `repoRoot`). */
export function kustomizeInputs(repoRoot: string, dir: string, settings: KustomizeSettings, tool: Tool): RenderInputs {
  const root = new RepoRoot(repoRoot);
  const abs = path.resolve(repoRoot, dir);
  // The walk resolves symlinks; key the folders by their place in the checkout as given.
  const folders = walkKustomizations(root, abs, settings).folders.map((f) =>
    path.join(root.dir, path.relative(root.real, f)),
  );
  return {
    tool,
    trees: folders.length > 0 ? folders : [abs],
    files: [],
    settings: JSON.stringify({ allowRemoteBases: settings.allowRemoteBases ?? false }),
    ...(settings.allowRemoteBases ? { uncacheable: 'it may fetch remote bases' } : {}),
  };
}

/** What shapes a `helm template` besides the chart and its values files. */
export interface HelmRenderSettings extends Omit<HelmSettings, 'hooks'> {
  readonly releaseName: string;
  readonly namespace: string;
}

/** The inputs of `helm template` of the chart at `chartDir`; values files are relative to it (or absolute). */
export function helmInputs(repoRoot: string, chartDir: string, settings: HelmRenderSettings, tool: Tool): RenderInputs {
  const chart = path.resolve(repoRoot, chartDir);
  return {
    tool,
    trees: [chart],
    files: (settings.valuesFiles ?? []).map((f) => path.resolve(chart, f)),
    settings: JSON.stringify({
      releaseName: settings.releaseName,
      namespace: settings.namespace,
      values: settings.values ?? '',
      set: settings.set ?? [],
    }),
  };
}

/** sha256 of a file's bytes, `-` when it cannot be read. */
export function fileDigest(file: string): string {
  try {
    return sha256(fs.readFileSync(file));
  } catch {
    return MISSING;
  }
}

/**
 * sha256 over the names and contents of every file below `dir` (`.git` left out);
 * undefined when it holds a symlink to a folder, whose content could change without
 * the link changing. A missing folder has a digest of its own.
 */
export function treeDigest(dir: string): string | undefined {
  const lines: string[] = [];
  const walk = (d: string, prefix: string): boolean => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      lines.push(`${prefix}${MISSING}`);
      return true;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === '.git') continue;
        if (!walk(p, `${prefix}${e.name}/`)) return false;
      } else if (e.isSymbolicLink()) {
        let stat: fs.Stats | undefined;
        try {
          stat = fs.statSync(p);
        } catch {
          stat = undefined;
        }
        if (stat?.isDirectory()) return false;
        lines.push(`${prefix}${e.name} -> ${fs.readlinkSync(p)} ${fileDigest(p)}`);
      } else lines.push(`${prefix}${e.name} ${fileDigest(p)}`);
    }
    return true;
  };
  return walk(dir, '') ? sha256(lines.join('\n')) : undefined;
}

/**
 * One digest of the inputs, with paths relative to `repoRoot` (so the same folder in
 * another checkout has the same digest); undefined when they cannot be keyed.
 */
export function inputsDigest(repoRoot: string, inputs: RenderInputs): string | undefined {
  if (inputs.uncacheable) return undefined;
  const root = new RepoRoot(repoRoot);
  const trees: string[][] = [];
  for (const t of inputs.trees) {
    const digest = treeDigest(t);
    if (digest === undefined) return undefined;
    trees.push([root.relative(t), digest]);
  }
  return sha256(
    JSON.stringify({
      tool: [inputs.tool.name, inputs.tool.version, inputs.tool.path],
      settings: inputs.settings,
      trees,
      files: inputs.files.map((f) => [root.relative(f), fileDigest(f)]),
    }),
  );
}
