import * as path from 'path';
import { synth } from '../synth/synth';
import { formatIssue } from '../synth/validate';
import { Output, progressStream } from './output';
import { ProgressFlags, openProgress, verbosityOf } from './progress';

/** Flags of `synthops synth`. */
export interface SynthCommandOptions extends ProgressFlags {
  /** `--env`: render only these environments. @default - every environment */
  readonly env?: string[];
  /** `--out`: output folder, relative to the root unless absolute. @default 'dist' */
  readonly out?: string;
  /** `--root`: config repo root. @default process.cwd() */
  readonly root?: string;
  /** `--typecheck`: type-check the apps while loading them. @default false */
  readonly typecheck?: boolean;
  /** False with `--no-cache`. @default true */
  readonly cache?: boolean;
  /** `--cache-dir`: synth cache folder, relative to the root unless absolute. @default 'node_modules/.cache/synthops/synth' */
  readonly cacheDir?: string;
}

/** `synthops synth`: render, validate, write dist/ atomically. Returns the exit code. */
export function runSynth(opts: SynthCommandOptions, io: Output): number {
  const verbosity = verbosityOf(opts);
  const progress = openProgress(progressStream(io), opts);
  const STEP = { load: 'loading app modules', build: 'building apps', render: 'rendering apps' } as const;
  let result: ReturnType<typeof synth>;
  try {
    result = synth({
      root: opts.root,
      out: opts.out,
      envs: opts.env,
      typecheck: opts.typecheck,
      cache: opts.cache !== false,
      cacheDir: opts.cacheDir,
      // SYNTHOPS_DEBUG=1 says why the cache missed; never needed for correct output.
      debug: process.env.SYNTHOPS_DEBUG ? (m) => io.err(m) : undefined,
      // N/M on a terminal only: piped, a line per app would bury the summary.
      onProgress: progress.live ? (p) => progress.status(`synth: ${STEP[p.step]} ${p.done}/${p.total}`) : undefined,
    });
  } finally {
    progress.stop();
  }
  if (!result.ok) {
    for (const issue of result.issues) io.err(formatIssue(issue));
    io.err(
      `synth failed with ${result.issues.length} error(s); ${path.relative(process.cwd(), result.outDir) || '.'} was not changed`,
    );
    return 1;
  }
  const objects = result.index.apps.reduce((n, a) => n + a.objects.length, 0);
  const summary = `wrote ${objects} objects of ${result.index.apps.length} app(s) to ${result.outDir}`;
  if (verbosity === 'quiet') {
    io.out(summary);
    return 0;
  }
  for (const env of result.index.environments) {
    const apps = result.index.apps.filter((a) => a.env === env);
    io.out(`${env}: ${apps.map((a) => `${a.app} (${a.objects.length})`).join(', ') || 'no apps'}`);
    if (verbosity === 'verbose')
      for (const a of apps)
        for (const o of a.objects) io.out(`  ${o.file}: ${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`);
  }
  io.out(summary);
  const { rendered, cached, filesWritten, filesReused } = result.stats;
  if (opts.cache !== false)
    io.out(
      `cache: rendered ${rendered} app module(s), reused ${cached}; wrote ${filesWritten} file(s), kept ${filesReused}`,
    );
  return 0;
}
