/** Object comparison (owned fields, Secret values hidden) and the colour schemes' contrast. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Manifest } from '../../src/model/manifest';
import { DARK, LIGHT, textPairs } from '../../src/ui/assets/palette';
import {
  DiffLine,
  compareDryRun,
  compareFile,
  fieldOwners,
  fieldPaths,
  foldUnchanged,
  hideSecretValues,
  projectLike,
} from '../../src/ui/object-diff';

function withFields(m: Manifest, fieldsV1: Record<string, unknown>, extra: unknown[] = []): Manifest {
  return {
    ...m,
    metadata: { ...m.metadata, managedFields: [{ manager: 'synthops', operation: 'Apply', fieldsV1 }, ...extra] },
  };
}

describe('ui: desired against live', () => {
  const fields = { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:name': {} } };
  test('only fields synthops owns are compared (as diff --cluster does)', () => {
    const dry = withFields(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'new', other: 'x' } },
      fields,
    );
    const live = withFields(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', uid: 'u' }, data: { k: 'old', other: 'y' } },
      {},
      [{ manager: 'kubectl', operation: 'Update' }],
    );
    const c = compareDryRun(dry, live);
    assert.deepEqual(
      c.lines.filter((l) => l.kind !== 'same'),
      [
        { kind: 'del', text: '  k: old' },
        { kind: 'add', text: '  k: new' },
      ],
    );
    assert.equal(compareDryRun(dry, { ...live, data: { k: 'new', other: 'z' } }).added, 0, 'other fields are no noise');
  });

  test("without a dry-run, the live object is cut to the file's own fields", () => {
    assert.deepEqual(projectLike({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: 0 }, l: [] }), {
      b: { c: 2 },
      l: [1, 2],
    });
    const desired: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
    assert.equal(compareFile(desired, { ...desired, metadata: { name: 'c', uid: 'x' } }).added, 0);
  });

  test('Secret values never appear, only whether the sides agree', () => {
    const [a, b] = hideSecretValues({ data: { p: 'c2VjcmV0', q: 'YQ==' } }, { data: { p: 'c2VjcmV0', q: 'Yg==' } });
    assert.deepEqual(a, { data: { p: '(hidden, same on both sides)', q: '(hidden, differs)' } });
    assert.deepEqual(b, { data: { p: '(hidden, same on both sides)', q: '(hidden, differs)' } });
    const dry = withFields(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: 'bmV3LXNlY3JldA==' } },
      { 'f:data': { 'f:p': {} } },
    );
    const text = compareDryRun(dry, { ...dry, data: { p: 'b2xkLXNlY3JldA==' } })
      .lines.map((l) => l.text)
      .join('\n');
    assert.doesNotMatch(text, /bmV3|b2xk/);
  });

  test('long comparisons fold unchanged lines away from the changes; short ones stay whole', () => {
    const lines: DiffLine[] = Array.from({ length: 100 }, (_, i) => ({
      kind: i === 50 ? 'add' : 'same',
      text: `l${i}`,
    }));
    const folded = foldUnchanged(lines, 2, 60);
    assert.deepEqual(
      folded.map((l) => (l.kind === 'skip' ? `skip ${l.count}` : l.text)),
      ['skip 48', 'l48', 'l49', 'l50', 'l51', 'l52', 'skip 47'],
    );
    assert.equal(foldUnchanged(lines.slice(0, 10)).length, 10);
  });

  test('field owners list dotted paths', () => {
    assert.deepEqual(
      fieldPaths(
        {
          'f:spec': {
            'f:replicas': {},
            'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } },
          },
        },
        3,
      ),
      ['spec.replicas', 'spec.template.spec'],
    );
    const owners = fieldOwners(
      withFields({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, { 'f:data': { 'f:k': {} } }, [
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status' },
      ]),
    );
    assert.deepEqual(
      owners.map((o) => [o.manager, o.fields]),
      [
        ['synthops', ['data.k']],
        ['kube-controller-manager', []],
      ],
    );
  });
});

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

describe('ui: colour schemes', () => {
  test('every text colour passes WCAG AA (4.5:1) on its background, light and dark', () => {
    for (const [scheme, s] of [
      ['light', LIGHT],
      ['dark', DARK],
    ] as const) {
      for (const [name, fg, bg] of textPairs(s)) {
        const ratio = contrast(fg, bg);
        assert.ok(ratio >= 4.5, `${scheme} ${name}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1`);
      }
    }
  });
});
