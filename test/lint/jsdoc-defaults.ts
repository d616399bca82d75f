/**
 * Finds optional properties of exported interfaces and classes in src/ whose JSDoc
 * lacks `@default` (the house rule: an optional prop says what it means when absent).
 * Uses the TypeScript compiler's parser, so comments and nesting are read as tsc reads them.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** One optional property without `@default`. */
export interface MissingDefault {
  readonly file: string;
  readonly line: number;
  readonly owner: string;
  readonly prop: string;
}

function isExported(node: ts.Node): boolean {
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}

function hasDefaultTag(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'default');
}

/** Checks one file's text. */
export function checkSource(file: string, text: string): MissingDefault[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: MissingDefault[] = [];
  const members = (owner: string, list: ts.NodeArray<ts.TypeElement | ts.ClassElement>) => {
    for (const m of list) {
      const optional = (ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) && m.questionToken !== undefined;
      if (!optional) continue;
      if (
        ts.isPropertyDeclaration(m) &&
        (ts.getCombinedModifierFlags(m) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0
      )
        continue;
      if (!hasDefaultTag(m)) {
        out.push({
          file,
          line: sf.getLineAndCharacterOfPosition(m.getStart()).line + 1,
          owner,
          prop: m.name.getText(sf),
        });
      }
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isInterfaceDeclaration(node) && isExported(node)) members(node.name.text, node.members);
    else if (ts.isClassDeclaration(node) && isExported(node) && node.name) members(node.name.text, node.members);
    else if (ts.isTypeAliasDeclaration(node) && isExported(node) && ts.isTypeLiteralNode(node.type))
      members(node.name.text, node.type.members);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Checks every .ts file below `root`. */
export function checkTree(root: string): MissingDefault[] {
  const out: MissingDefault[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
        out.push(...checkSource(path.relative(root, p), fs.readFileSync(p, 'utf8')));
    }
  };
  walk(root);
  return out;
}

if (require.main === module) {
  const found = checkTree(path.resolve(__dirname, '../../src'));
  for (const f of found) process.stdout.write(`src/${f.file}:${f.line} ${f.owner}.${f.prop}\n`);
  process.stdout.write(`${found.length} optional props without @default\n`);
}
