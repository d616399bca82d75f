/**
 * Keeps a render inside the repo checkout: every path a kustomization or a chart
 * reaches must resolve (symlinks followed) to a place below the checkout root and
 * outside its `.git` folder, which holds the agent's own state.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where a path lies: `inside` the repo, `outside` it, in its `.git` folder, or `missing` (inside, but not there). */
export type Placement = 'inside' | 'outside' | 'git-dir' | 'missing';

/** The repo checkout a render is confined to. */
export class RepoRoot {
  /** The checkout root with symlinks resolved. */
  public readonly real: string;

  constructor(public readonly dir: string) {
    this.real = fs.realpathSync(dir);
  }

  /** Where `target` (absolute, or relative to `from`) lies. */
  public place(target: string, from = this.dir): Placement {
    const abs = path.resolve(from, target);
    let real: string;
    try {
      real = fs.realpathSync(abs);
    } catch {
      // Not there: judge the path as written, with the folders that exist resolved.
      real = path.join(realParent(path.dirname(abs)), path.basename(abs));
      const p = this.placeReal(real);
      return p === 'inside' ? 'missing' : p;
    }
    return this.placeReal(real);
  }

  /** `target` relative to the checkout root, with `/` separators, for messages. */
  public relative(target: string): string {
    const rel = path.relative(this.dir, target);
    return (rel === '' ? '.' : rel).split(path.sep).join('/');
  }

  private placeReal(real: string): Placement {
    const rel = path.relative(this.real, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return 'outside';
    if (rel === '.git' || rel.startsWith(`.git${path.sep}`)) return 'git-dir';
    return 'inside';
  }
}

function realParent(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    const up = path.dirname(dir);
    return up === dir ? dir : path.join(realParent(up), path.basename(dir));
  }
}
