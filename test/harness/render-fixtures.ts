/** The vendored Kustomize and Helm inputs of test/fixtures/render, as trees to publish or write. */
import * as path from 'path';
import { treeOf } from './git';

/** Where the render fixtures live. */
export const RENDER_FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'render');

/** The files of fixture folder `name` (path -> content), under `prefix/`. */
export function fixture(name: string, prefix: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(treeOf(path.join(RENDER_FIXTURES, name))).map(([rel, c]) => [
      `${prefix}/${rel.split(path.sep).join('/')}`,
      c,
    ]),
  );
}
