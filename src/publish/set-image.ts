import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { DEFAULT_IMAGE_PINS_FILE } from '../author/image-pins';
import { imagePinProblem } from '../author/image-ref';
import { UsageError } from '../model/errors';
import { GitAuth, redactUrl } from '../git/client';
import { discover } from '../synth/discover';
import { checkoutBranch, commitAll, pushBranch, withTrailers } from './branch';
import { PublishError } from './errors';
import { SigningKey } from '../git/signing';

/** Options of {@link setImage}. */
export interface SetImageOptions {
  readonly env: string;
  readonly app: string;
  readonly image: string;
  /** Local config repo (without `repo`). @default process.cwd() */
  readonly root?: string;
  /** Remote config repo: clone, edit, commit, push. @default - none: the local repo at `root` is edited */
  readonly repo?: string;
  /** @default 'main' */
  readonly branch?: string;
  /** Credentials for `repo`. @default - none (git's own setup applies) */
  readonly auth?: GitAuth;
  /** Sign the commit (SSH or OpenPGP, git's own signing). @default - none: unsigned */
  readonly signing?: SigningKey;
  /** @default 5 */
  readonly maxAttempts?: number;
}

/** What set-image did. */
export interface SetImageResult {
  readonly status: 'updated' | 'unchanged';
  /** The pin it replaced. @default - none: the app had no pin */
  readonly previous?: string;
  /** With `repo`: the commit pushed, or the tip when unchanged. @default - none: the local repo was edited, nothing committed */
  readonly commit?: string;
  readonly message: string;
}

/** Writes the pin into the pins file text, keeping comments and order. */
export function editPins(text: string, env: string, app: string, image: string): { text: string; previous?: string } {
  const doc = YAML.parseDocument(text || '{}\n');
  if (doc.errors.length > 0)
    throw new PublishError(`${DEFAULT_IMAGE_PINS_FILE}: not valid YAML: ${doc.errors[0].message}`);
  const previous = doc.getIn([env, app]);
  doc.setIn([env, app], image);
  return { text: doc.toString({ lineWidth: 0 }), previous: typeof previous === 'string' ? previous : undefined };
}

function checkImage(image: string): void {
  const problem = imagePinProblem(image);
  if (problem) throw new UsageError(`--image: ${problem}`);
}

/**
 * Pins a new image for one app in one environment in the config repo's image pins
 * file. Locally, the environments and apps are read from the repo itself; with
 * `repo`, the pins file of the remote's branch must already list the environment and
 * app (new ones are added in a reviewed commit), and the change is committed and
 * pushed, retried on top of concurrent pushes, never forced.
 */
export async function setImage(o: SetImageOptions): Promise<SetImageResult> {
  checkImage(o.image);
  if (!o.repo) {
    const root = path.resolve(o.root ?? process.cwd());
    const repo = discover(root);
    const envs = Object.keys(repo.environments.definitions);
    if (!envs.includes(o.env)) throw new UsageError(`unknown environment "${o.env}" (declared: ${envs.join(', ')})`);
    const apps = [...new Set(repo.apps.map((a) => a.definition.name))];
    if (!apps.includes(o.app)) throw new UsageError(`unknown app "${o.app}" (apps: ${apps.join(', ')})`);
    const file = path.join(root, DEFAULT_IMAGE_PINS_FILE);
    const { text, previous } = editPins(
      fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '',
      o.env,
      o.app,
      o.image,
    );
    if (previous === o.image)
      return { status: 'unchanged', previous, message: `unchanged: ${o.env}/${o.app} is already ${o.image}` };
    fs.writeFileSync(file, text);
    return {
      status: 'updated',
      previous,
      message: `${DEFAULT_IMAGE_PINS_FILE}: ${o.env}/${o.app} ${previous ?? '(none)'} -> ${o.image}`,
    };
  }

  const branch = o.branch ?? 'main';
  for (let attempt = 1; attempt <= (o.maxAttempts ?? 5); attempt++) {
    const c = await checkoutBranch({ url: o.repo, branch, auth: o.auth, signing: o.signing });
    try {
      if (!c.tip) throw new PublishError(`branch ${branch} of ${redactUrl(o.repo)} does not exist`);
      const file = path.join(c.dir, DEFAULT_IMAGE_PINS_FILE);
      if (!fs.existsSync(file))
        throw new PublishError(`${redactUrl(o.repo)} (branch ${branch}) has no ${DEFAULT_IMAGE_PINS_FILE}`);
      const text = fs.readFileSync(file, 'utf8');
      const pins = (YAML.parse(text) ?? {}) as Record<string, Record<string, string> | null>;
      if (!(o.env in pins))
        throw new UsageError(
          `unknown environment "${o.env}": ${DEFAULT_IMAGE_PINS_FILE} of ${redactUrl(o.repo)} lists ${Object.keys(pins).join(', ') || 'none'}`,
        );
      if (!pins[o.env] || !(o.app in pins[o.env]!))
        throw new UsageError(
          `unknown app "${o.app}" in environment "${o.env}": ${DEFAULT_IMAGE_PINS_FILE} of ${redactUrl(o.repo)} lists ${Object.keys(pins[o.env] ?? {}).join(', ') || 'none'}`,
        );
      const edited = editPins(text, o.env, o.app, o.image);
      if (edited.previous === o.image)
        return {
          status: 'unchanged',
          previous: edited.previous,
          commit: c.tip,
          message: `unchanged: ${o.env}/${o.app} is already ${o.image}`,
        };
      fs.writeFileSync(file, edited.text);
      const message = withTrailers(`set-image ${o.env}/${o.app} ${o.image}`, [['Image-Previous', edited.previous]]);
      await commitAll(c, message);
      if ((await pushBranch(c, o.repo, branch)) === 'pushed') {
        const commit = (await c.git.revparse(['HEAD'])).trim();
        return {
          status: 'updated',
          previous: edited.previous,
          commit,
          message: `${o.env}/${o.app} ${edited.previous} -> ${o.image} (commit ${commit.slice(0, 12)} on ${branch})`,
        };
      }
    } finally {
      c.dispose();
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 200 * attempt));
  }
  throw new PublishError(
    `push to ${redactUrl(o.repo)} (branch ${branch}) was rejected repeatedly by concurrent pushes; nothing was forced`,
  );
}
