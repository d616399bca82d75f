import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Manifest } from '../model/manifest';
import { isSopsDocument } from '../model/sops';
import { Application } from './application';

/** Properties of a {@link SopsSecret}. */
export interface SopsSecretProps {
  /**
   * The SOPS-encrypted Secret (YAML), relative to the config repo root, e.g.
   * `apps/shop/db.sops.yaml`; made with `synthops secret encrypt`. It must set its
   * own `metadata.namespace`: nothing may be added to it after encryption.
   */
  readonly file: string;
}

const SOPS_SECRET_BRAND = Symbol.for('synthops.SopsSecret');

/**
 * Whether the key order of every map in `json` is the order of the YAML file: a
 * JavaScript object puts integer-like keys (`"1"`) first, and SOPS's MAC covers the
 * values in file order, so such a document would reach the agent undecryptable.
 */
function orderKept(node: unknown, json: unknown): boolean {
  if (YAML.isMap(node)) {
    const keys = node.items.map((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key));
    const obj = json as Record<string, unknown>;
    const jsonKeys = Object.keys(obj);
    if (keys.length !== jsonKeys.length || keys.some((k, i) => k !== jsonKeys[i])) return false;
    return node.items.every((p) => orderKept(p.value, obj[String(YAML.isScalar(p.key) ? p.key.value : p.key)]));
  }
  if (YAML.isSeq(node)) return node.items.every((item, i) => orderKept(item, (json as unknown[])[i]));
  return true;
}

/**
 * A Secret committed encrypted with SOPS, taken in exactly as it is in the file: no
 * chart labels, no namespace, no key sorting, since SOPS's MAC covers the document's
 * values in order. Synth passes it through unchanged and the agent decrypts it in
 * memory (with `--decryption-secret`) and labels it then. The file is an input of the
 * synth cache (it is read while the app is built).
 *
 * @example
 * new SopsSecret(app, 'db', { file: 'apps/shop/db.sops.yaml' });
 */
export class SopsSecret extends ApiObject {
  /** True if `x` is a SopsSecret (works across copies of this module). */
  public static isSopsSecret(x: unknown): x is SopsSecret {
    return typeof x === 'object' && x !== null && SOPS_SECRET_BRAND in x;
  }

  /** The file, relative to the config repo root, "/" separated. */
  public readonly file: string;
  private readonly document: Manifest;

  constructor(scope: Construct, id: string, props: SopsSecretProps) {
    const root = Application.of(scope).configRoot;
    const abs = path.resolve(root, props.file);
    const file = path.relative(root, abs).split(path.sep).join('/');
    const docs = YAML.parseAllDocuments(fs.readFileSync(abs, 'utf8'));
    if (!Array.isArray(docs) || docs.length !== 1) throw new Error(`SopsSecret ${file}: expected one YAML document`);
    const [doc] = docs;
    if (doc.errors.length > 0)
      throw new Error(`SopsSecret ${file}: malformed YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const m = doc.toJSON() as Manifest;
    if (!isSopsDocument(m))
      throw new Error(
        `SopsSecret ${file}: not SOPS-encrypted (no sops metadata); encrypt it with \`synthops secret encrypt ${file}\``,
      );
    if (m.apiVersion !== 'v1' || m.kind !== 'Secret')
      throw new Error(`SopsSecret ${file}: holds ${m.apiVersion}/${m.kind}, not a v1 Secret`);
    if (typeof m.metadata?.name !== 'string' || typeof m.metadata.namespace !== 'string') {
      throw new Error(
        `SopsSecret ${file}: metadata.name and metadata.namespace must be set in the file before it is encrypted (an encrypted document cannot be changed)`,
      );
    }
    if (!orderKept(doc.contents, m))
      throw new Error(
        `SopsSecret ${file}: a map has integer-like keys before others; JSON cannot keep that order, so its MAC would not verify: rename or reorder them and encrypt again`,
      );
    super(scope, id, {
      apiVersion: m.apiVersion,
      kind: m.kind,
      metadata: { name: m.metadata.name, namespace: m.metadata.namespace },
    });
    Object.defineProperty(this, SOPS_SECRET_BRAND, { value: true });
    this.file = file;
    this.document = m;
  }

  /** The encrypted document, unchanged. */
  public toJson(): unknown {
    return structuredClone(this.document);
  }
}
