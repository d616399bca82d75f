/** The house rule "JSDoc with `@default` on every optional public prop", checked on src/ and on the checker itself (pure). */
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { describe, test } from 'node:test';
import { checkSource, checkTree } from './jsdoc-defaults';

const SRC = path.resolve(__dirname, '../../src');

// One finding expected: `missing`. The rest is what the rule leaves alone.
const SNIPPET = [
  'export interface Exported {',
  '  /** Documented. @default 1 */',
  '  readonly withDefault?: number;',
  '  /** Documented, without a default. */',
  '  readonly missing?: string;',
  '  readonly required: string;',
  '}',
  'interface Internal {',
  '  readonly notExported?: string;',
  '}',
  'export class Owner {',
  '  private hidden?: string;',
  '  /** @default - none */',
  '  public open?: string;',
  '}',
].join('\n');

describe('jsdoc @default checker', () => {
  test('every optional public prop in src/ has @default', () => {
    const found = checkTree(SRC);
    assert.deepEqual(
      found,
      [],
      `optional props without @default:\n${found.map((f) => `src/${f.file}:${f.line} ${f.owner}.${f.prop}`).join('\n')}`,
    );
  });

  test('reports an exported interface prop without @default, with file, line, owner and prop; not private fields or internal interfaces', () => {
    const line = SNIPPET.split('\n').findIndex((l) => l.includes('missing?')) + 1;
    assert.deepEqual(checkSource('snippet.ts', SNIPPET), [
      { file: 'snippet.ts', line, owner: 'Exported', prop: 'missing' },
    ]);
  });
});
