/**
 * `npm run test:mutations`: Stryker (command runner) over the pure decision modules,
 * one module at a time with only the unit tests that cover it, then a score per
 * module. Slow (every mutant is one test process): run by hand, not in CI; results and
 * the explanation of each surviving mutant are in docs/mutations.md.
 *
 * Run: `npm run test:mutations [-- group...]` (groups: see ./groups.ts)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GROUPS } from './groups';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'reports', 'mutation');
const reportOf = (group: string) => path.join(OUT, `${group}.json`);

interface Position {
  readonly line: number;
  readonly column: number;
}

/** The part of Stryker's JSON report (mutation-testing-report-schema) read here. */
interface Report {
  readonly files: Record<
    string,
    {
      readonly source: string;
      readonly mutants: ReadonlyArray<{
        readonly status: string;
        readonly mutatorName: string;
        readonly replacement?: string;
        readonly location: { readonly start: Position; readonly end: Position };
      }>;
    }
  >;
}

/** Mutants by status, and the score as Stryker defines it: detected / (detected + undetected). */
function score(report: Report): { counts: Record<string, number>; score: number; survivors: string[] } {
  const counts: Record<string, number> = {};
  const survivors: string[] = [];
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) {
      counts[m.status] = (counts[m.status] ?? 0) + 1;
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const { start, end } = m.location;
      const line = f.source.split('\n')[start.line - 1];
      const original =
        start.line === end.line ? line.slice(start.column - 1, end.column - 1) : `${line.slice(start.column - 1)}...`;
      survivors.push(
        `${file}:${start.line} ${m.mutatorName}: ${JSON.stringify(original)} -> ${JSON.stringify(m.replacement ?? '')}`,
      );
    }
  }
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const undetected = (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  return { counts, score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected), survivors };
}

function main(): number {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in GROUPS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown mutation group: ${unknown.join(', ')} (groups: ${Object.keys(GROUPS).join(', ')})\n`);
    return 2;
  }
  fs.mkdirSync(OUT, { recursive: true });
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'stryker.config.json'), 'utf8')) as Record<string, unknown>;
  for (const name of names.length > 0 ? names : Object.keys(GROUPS)) {
    const g = GROUPS[name];
    const config = path.join(OUT, `${name}.config.json`);
    fs.writeFileSync(
      config,
      JSON.stringify(
        {
          ...base,
          $schema: undefined,
          mutate: [g.module],
          commandRunner: { command: `node -r ts-node/register/transpile-only test/mutations/suite.ts ${name}` },
          jsonReporter: { fileName: path.relative(ROOT, reportOf(name)) },
          tempDirName: `.stryker-tmp/${name}`,
        },
        null,
        2,
      ),
    );
    process.stdout.write(`\n== ${name}: ${g.module} (tests: ${g.tests.join(', ')})\n`);
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run', config],
      { cwd: ROOT, stdio: 'inherit' },
    );
    if (r.status !== 0) {
      process.stderr.write(`stryker failed for ${name} (exit ${r.status})\n`);
      return 1;
    }
  }
  // The table covers every group with a report: the ones just run and earlier runs of the others.
  const rows: string[] = [];
  for (const [name, g] of Object.entries(GROUPS)) {
    if (!fs.existsSync(reportOf(name))) continue;
    const s = score(JSON.parse(fs.readFileSync(reportOf(name), 'utf8')) as Report);
    const c = (k: string) => s.counts[k] ?? 0;
    rows.push(
      `| ${g.module} | ${c('Killed')} | ${c('Timeout')} | ${c('Survived')} | ${c('NoCoverage')} | ${c('CompileError') + c('RuntimeError')} | ${s.score.toFixed(1)}% |`,
    );
    fs.writeFileSync(path.join(OUT, `${name}.survivors.txt`), s.survivors.map((x) => `${x}\n`).join(''));
  }
  const table = [
    '| module | killed | timeout | survived | no coverage | errors | score |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'summary.md'), `${table}\n`);
  process.stdout.write(`\n${table}\n\nsurvivors: ${path.relative(ROOT, OUT)}/<group>.survivors.txt\n`);
  return 0;
}

process.exitCode = main();
