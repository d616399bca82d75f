/**
 * The rules of the kubectl-compatible YAML reader. Expected values are what kubectl
 * v1.34 (sigs.k8s.io/yaml over go-yaml v2) makes of the same text; the cluster test
 * (test/agent/kube-yaml.test.ts) compares with kubectl itself.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, test } from 'node:test';
import { LoadError } from '../../src/agent/source/errors';
import { loadRevision } from '../../src/agent/source/load';
import { ParseCache } from '../../src/agent/source/parse-cache';
import { KubeYamlError, parseKubeYamlDocuments, type JsonValue } from '../../src/model/kube-yaml';

/** The one document of `text`. */
function value(text: string): JsonValue {
  const r = parseKubeYamlDocuments(text, 'f.yaml');
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
  );
  assert.equal(r.documents.length, 1);
  return r.documents[0].value;
}

/** The values of plain scalars, in a flow sequence. */
const scalars = (list: string) => value(`[${list}]`);

/** The error of a one-document text, as [code, line, column]. */
function error(text: string): [string, number, number] {
  const r = parseKubeYamlDocuments(text, 'f.yaml');
  assert.equal(r.errors.length, 1, JSON.stringify(r));
  assert.ok(r.errors[0] instanceof KubeYamlError);
  return [r.errors[0].code, r.errors[0].line, r.errors[0].column];
}

describe('kube-yaml: scalars', () => {
  test('ints: Go prefixes (0755 and 0o755 octal, 0x hex, 0b binary), underscores removed, 08 a float', () => {
    assert.deepEqual(
      scalars(
        '0755, 0o755, 0O17, 0x1F, 0X1f, -0x1F, +0x1F, 0b101, 0B11, 0b-101, 0b+101, -0b101, 1_000, 0_7, 0b1_0, 0x_1F, 08, 09, 007, 0, -0, +12',
      ),
      [493, 493, 15, 31, 31, -31, 31, 5, 3, -5, 5, -5, 1000, 7, 2, 31, 8, 9, 7, 0, 0, 12],
    );
    assert.deepEqual(scalars('0x, 0o, 0b, 0o8, 0x1g, 0b2, _1'), ['0x', '0o', '0b', '0o8', '0x1g', '0b2', '_1']);
    assert.deepEqual(
      scalars(
        '9007199254740992, -9007199254740992, 18446744073709551615, 0xFFFFFFFFFFFFFFFF, 18446744073709551616, 0777777777777777777777777',
      ),
      [2 ** 53, -(2 ** 53), 2 ** 64, 2 ** 64, 2 ** 64, Number('7.777777777777778e23')],
      'above int64: the nearest float64, as kubectl',
    );
  });

  test('floats: YAML 1.1 syntax after removing _, out of range stays a string, -0 is 0', () => {
    assert.deepEqual(
      scalars('1e3, 1E3, 1e+3, 1_e_3, 1.5, .5, +.5, -.5, 1., 1.e3, .5_0, .5e1_0, 1_000.5, 1e-400, -0.0, 0.1, 1e21'),
      [1000, 1000, 1000, 1000, 1.5, 0.5, 0.5, -0.5, 1, 1000, 0.5, 5e9, 1000.5, 0, 0, 0.1, 1e21],
    );
    assert.ok(Object.is((scalars('-0.0, -0') as number[])[0], 0));
    assert.deepEqual(scalars('1e400, -1e400, ., ._5, .iNf, +.nan, 12e, 1.5.5'), [
      '1e400',
      '-1e400',
      '.',
      '._5',
      '.iNf',
      '+.nan',
      '12e',
      '1.5.5',
    ]);
  });

  test('bools and nulls: the YAML 1.1 words in three spellings; no sexagesimal, no timestamps', () => {
    assert.deepEqual(scalars('y, Y, yes, Yes, YES, true, True, TRUE, on, On, ON'), Array(11).fill(true));
    assert.deepEqual(scalars('n, N, no, No, NO, false, False, FALSE, off, Off, OFF'), Array(11).fill(false));
    assert.deepEqual(value('a: [~, null, Null, NULL]\nb:\nc: ""\n'), { a: [null, null, null, null], b: null, c: '' });
    assert.deepEqual(scalars('yEs, tRUE, oN, nULL, 1:20, 190:20:30, 2001-12-14, 2001-12-14t21:59:43.10-05:00, <<, ='), [
      'yEs',
      'tRUE',
      'oN',
      'nULL',
      '1:20',
      '190:20:30',
      '2001-12-14',
      '2001-12-14t21:59:43.10-05:00',
      '<<',
      '=',
    ]);
  });

  test("quoted and block scalars are strings; double quotes take \\' like go-yaml", () => {
    assert.deepEqual(value(`a: "0755"\nb: 'yes'\nc: |\n  on\nd: >-\n  1e3\n  x\ne: "it\\'s \\x41\\u00e9\\e"\n`), {
      a: '0755',
      b: 'yes',
      c: 'on\n',
      d: '1e3 x',
      e: "it's A\u00e9\u001b",
    });
    assert.deepEqual(error('a: "it\\\'s"\nb: "\\/"\n'), ['syntax', 2, 5], 'the position is in the file as written');
    assert.deepEqual(error('a: "\\ud800"\n'), ['syntax', 1, 5]);
  });

  test('tags: the text must resolve to the tag; !!binary decodes; other tags give the text', () => {
    assert.deepEqual(
      value(
        [
          'str: !!str 0755',
          'int: !!int "0755"',
          'float: !!float 1',
          'hex: !!float 0x10',
          'bool: !!bool yes',
          'nil: !!null ~',
          'time: !!timestamp 2001-1-2',
          'bin: !!binary aGVsbG8=',
          'bad: !!binary 4oI=',
          'lines: !!binary |\n  aGVs\n  bG8=',
          'custom: !foo 12',
          'bare: ! 12',
          'map: !!map foo',
          'seq: !!seq {a: 1}',
          'long: !<tag:yaml.org,2002:int> 0x10',
          '',
        ].join('\n'),
      ),
      {
        str: '0755',
        int: 493,
        float: 1,
        hex: 16,
        bool: true,
        nil: null,
        time: '2001-1-2',
        bin: 'hello',
        bad: '\ufffd\ufffd',
        lines: 'hello',
        custom: '12',
        bare: '12',
        map: 'foo',
        seq: { a: 1 },
        long: 16,
      },
    );
    for (const bad of [
      '!!int 1.5',
      '!!int',
      '!!bool 1',
      '!!null foo',
      '!!float 18446744073709551615',
      '!!timestamp 2001-02-29',
      '!!timestamp 12',
      '!!binary aGVsbG8',
    ]) {
      assert.deepEqual(error(`a: ${bad}\n`).slice(0, 2), ['tag', 1], bad);
    }
  });
});

describe('kube-yaml: mappings', () => {
  test('keys become JSON strings the way sigs.k8s.io/yaml writes them', () => {
    assert.deepEqual(
      value(
        'on: 1\nn: 2\n0755: 3\n0x1F: 4\n1.5: 5\n1e6: 6\n3.14159265358979: 7\n0.00001: 8\n-0.0: 9\n.inf: 10\n123456789.0: 11\n2001-12-14: 12\n!!binary aGk=: 13\n',
      ),
      {
        true: 1,
        false: 2,
        493: 3,
        31: 4,
        '1.5': 5,
        '1e+06': 6,
        '3.1415927': 7,
        '1e-05': 8,
        '-0': 9,
        '.inf': 10,
        '1.2345679e+08': 11,
        '2001-12-14': 12,
        hi: 13,
      },
    );
    assert.deepEqual(error('a: 1\n~: 2\n'), ['key', 2, 1]);
    assert.deepEqual(error('18446744073709551615: 1\n'), ['key', 1, 1]);
    assert.deepEqual(error('? [a]\n: 1\n'), ['key', 1, 3]);
  });

  test('a repeated key: the last wins; different keys with the same JSON string are refused', () => {
    assert.deepEqual(value('a: 1\nb: 2\na: 3\non: first\nyes: last\n'), { a: 3, b: 2, true: 'last' });
    assert.deepEqual(error('1: a\n"1": b\n'), ['key', 2, 1], 'kubectl keeps one at random');
    assert.deepEqual(error('on: a\n"true": b\n'), ['key', 2, 1]);
  });

  test('<< merges at its place: it overrides the keys before it, later keys override it, earlier maps of a list win', () => {
    assert.deepEqual(
      value(
        'b: &b {a: 1, c: 2}\nx:\n  a: 0\n  <<: *b\n  c: 3\nl:\n  <<: [{a: 1}, {a: 2, d: 4}]\nz: {"<<": 1}\nw: {!!merge <<: {q: 1}}\n',
      ),
      { b: { a: 1, c: 2 }, x: { a: 1, c: 3 }, l: { a: 1, d: 4 }, z: { '<<': 1 }, w: { q: 1 } },
    );
    assert.deepEqual(error('a:\n  <<: 5\n'), ['merge', 2, 7]);
    assert.deepEqual(error('m: &m [1]\nn: {<<: *m}\n'), ['merge', 2, 9]);
  });

  test('aliases are expanded; unknown anchors, self-reference and alias bombs are refused', () => {
    assert.deepEqual(value('a: &x 1\nb: *x\nc: &x 2\nd: *x\ne: &m {k: v}\nf: [*m, *m]\n'), {
      a: 1,
      b: 1,
      c: 2,
      d: 2,
      e: { k: 'v' },
      f: [{ k: 'v' }, { k: 'v' }],
    });
    assert.deepEqual(error('a: 1\nb: *x\n'), ['alias', 2, 4]);
    assert.deepEqual(error('a: &x [*x]\n'), ['alias', 1, 8]);
    let bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
    for (let c = 'b'.charCodeAt(0), prev = 'a'; c <= 'h'.charCodeAt(0); prev = String.fromCharCode(c), c++)
      bomb += `${String.fromCharCode(c)}: &${String.fromCharCode(c)} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    assert.equal(error(bomb)[0], 'alias');
  });

  test('keys named like Object properties stay plain keys', () => {
    const v = value('__proto__: {a: 1}\nconstructor: 2\n') as Record<string, JsonValue>;
    assert.deepEqual(Object.keys(v), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });
});

describe('kube-yaml: numbers JSON or JavaScript cannot hold', () => {
  test('.inf and .nan fail as in kubectl; an int64 beyond 2^53 is refused rather than changed', () => {
    assert.deepEqual(error('a:\n  b: .inf\n'), ['number', 2, 6]);
    assert.deepEqual(error('a: [.NaN]\n'), ['number', 1, 5]);
    assert.deepEqual(error('a: 9007199254740993\n'), ['number', 1, 4]);
    assert.deepEqual(
      error('a: 4611686018427387904\n'),
      ['number', 1, 4],
      'a double holds 2^62, but JSON.stringify writes 4611686018427388000',
    );
    assert.deepEqual(error('a: -9223372036854775808\n'), ['number', 1, 4]);
  });
});

describe('kube-yaml: documents', () => {
  test("kubectl's split: --- lines end documents, empty and null documents are skipped, CRLF is LF", () => {
    const r = parseKubeYamlDocuments(
      '# header\n---\na: 1\n---\n---\n# nothing\n--- # comment\n~\n---\nb: |\r\n  x\r\n  y\r\n',
      'f.yaml',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.documents, [
      { index: 0, line: 2, value: { a: 1 } },
      { index: 4, line: 10, value: { b: 'x\ny\n' } },
    ]);
    assert.deepEqual(
      parseKubeYamlDocuments('a: 1\n---\nb: 2\n', 'f.yaml').documents.map((d) => [d.index, d.line]),
      [
        [0, 1],
        [1, 3],
      ],
    );
    assert.deepEqual(parseKubeYamlDocuments('', 'f.yaml'), { documents: [], errors: [] });
  });

  test('a --- line with more than a comment after it stops the file, as in kubectl', () => {
    const r = parseKubeYamlDocuments('a: 1\n---\nb: 2\n--- |\nc: 3\n', 'f.yaml');
    assert.deepEqual(
      r.documents.map((d) => d.value),
      [{ a: 1 }],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.document, e.line, e.column]),
      [['separator', 1, 4, 5]],
    );
    assert.equal(
      r.errors[0].message,
      'f.yaml#1: a line starting with --- ends a document for kubectl; only a comment may follow it, not "|" at line 4, column 5',
    );
    assert.deepEqual(
      error('---#c\na: 1\n'),
      ['syntax', 1, 1],
      'not a marker for YAML: the first line goes to the parser',
    );
  });

  test('each document is read alone: errors name their document; directives and ... need a --- of their own', () => {
    const r = parseKubeYamlDocuments('a: 1\n---\nb: [1, 2\n---\nc: 3\n', 'f.yaml');
    assert.deepEqual(
      r.documents.map((d) => d.index),
      [0, 2],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.code, e.document, e.line]),
      [['syntax', 1, 4]],
    );
    assert.deepEqual(error('%YAML 1.1\n---\na: 1\n'), ['syntax', 1, 1]);
    assert.deepEqual(error('a: 1\n...\nb: 2\n'), ['syntax', 3, 1], 'kubectl would drop b silently');
    assert.deepEqual(error('...\n'), ['syntax', 1, 1]);
    assert.deepEqual(
      parseKubeYamlDocuments('a: 1\n...\n# end\n', 'f.yaml').documents.map((d) => d.value),
      [{ a: 1 }],
    );
  });
});

describe('kube-yaml: the agent reads plain YAML with these rules', () => {
  const CRON =
    'apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  suspend: yes\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          volumes:\n            - name: s\n              configMap: {name: s, defaultMode: 0755}\n';
  const dir = (files: Record<string, string>) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-kyaml-load-'));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(d, f), text);
    return d;
  };

  test('a plain folder: 0755 is 493 and yes is true, also from the parse cache', () => {
    const d = dir({ 'cron.yaml': CRON });
    const cache = new ParseCache();
    for (let i = 0; i < 2; i++) {
      const [o] = loadRevision(d, { revision: 'r', cache }).apps[0].objects;
      assert.equal(o.origin, 'cron.yaml#0');
      const spec = o.manifest.spec as {
        suspend: unknown;
        jobTemplate: { spec: { template: { spec: { volumes: { configMap: { defaultMode: unknown } }[] } } } };
      };
      assert.deepEqual(
        [spec.suspend, spec.jobTemplate.spec.template.spec.volumes[0].configMap.defaultMode],
        [true, 493],
      );
    }
  });

  test('problems keep their shape: file#document: malformed YAML: reason, with line and column', () => {
    const d = dir({
      'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nspec:\n  limit: .inf\n---\n- a list\n',
    });
    assert.throws(
      () => loadRevision(d, { revision: 'r' }),
      (e: Error) => {
        assert.ok(e instanceof LoadError);
        assert.deepEqual(e.problems, [
          'a.yaml#1: malformed YAML: .inf is not a JSON number (kubectl fails with "json: unsupported value") at line 6, column 10',
          'a.yaml#2: not a Kubernetes object (expected a map)',
        ]);
        return true;
      },
    );
  });
});
