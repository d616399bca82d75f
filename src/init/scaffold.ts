import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../model/errors';

/** Options of {@link scaffold}. */
export interface ScaffoldOptions {
  /** package.json name. @default - the folder name */
  readonly name?: string;
  /** Version range of synthops in package.json. */
  readonly synthopsVersion: string;
}

const TEMPLATE_DIR = path.join(__dirname, '..', '..', 'templates', 'config-repo');

// Template files whose names cannot be stored as-is in this repo.
const RENAMES: Record<string, string> = {
  'package.json.tmpl': 'package.json',
  gitignore: '.gitignore',
  'gitlab-ci.yml': '.gitlab-ci.yml',
};

function ownVersion(pkg: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  // cdk8s, cdk8s-plus and constructs are peer dependencies: the exact pins are the dev ones this repo builds with.
  const own = require('../../package.json') as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return own.dependencies[pkg] ?? own.devDependencies[pkg];
}

function listFiles(dir: string, prefix = ''): string[] {
  // Dot folders (.github) are listed too.
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
    .sort();
}

/**
 * Creates a config repo in `dir`: package.json, cdk8s.yaml, tsconfig.json,
 * apps/environments.ts, apps/images.yaml and one app. Refuses a non-empty folder.
 * Returns the files written, relative to `dir`.
 */
export function scaffold(dir: string, options: ScaffoldOptions): string[] {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && fs.readdirSync(target).length > 0) {
    throw new UsageError(`${target} is not empty; synthops init only writes into an empty or new folder`);
  }
  const name =
    options.name ??
    path
      .basename(target)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-');
  const values: Record<string, string> = {
    name,
    synthopsVersion: options.synthopsVersion,
    cdk8sVersion: ownVersion('cdk8s'),
    cdk8sPlusVersion: ownVersion('cdk8s-plus-28'),
    constructsVersion: ownVersion('constructs'),
  };
  const written: string[] = [];
  for (const rel of listFiles(TEMPLATE_DIR)) {
    const base = path.basename(rel);
    const outRel = path.join(path.dirname(rel), RENAMES[base] ?? base);
    const content = fs
      .readFileSync(path.join(TEMPLATE_DIR, rel), 'utf8')
      .replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? '');
    fs.mkdirSync(path.dirname(path.join(target, outRel)), { recursive: true });
    fs.writeFileSync(path.join(target, outRel), content);
    written.push(outRel.split(path.sep).join('/'));
  }
  return written.sort();
}
