/**
 * Turns the YAML stream a render at synth time printed into ApiObjects of the app, so
 * its objects get what every construct's objects get: the app's namespace where they
 * set none, the synthops labels, validation, and the synth cache. The stream is read
 * as the agent reads plain YAML (model/kube-yaml.ts); every object needs a kind and a
 * name (a generateName cannot be applied again and again).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { parseKubeYamlDocuments } from '../model/kube-yaml';

/** Receives each parsed object with the document it came from; false leaves it out. */
export type KeepObject = (object: unknown, origin: string) => boolean;

/** Adds one ApiObject per document of `text` to `scope`; throws one error listing every bad document. */
export function addRenderedObjects(
  scope: Construct,
  text: string,
  subject: string,
  originOf: (index: number, line: number) => string,
  keep: KeepObject = () => true,
): ApiObject[] {
  const { documents, errors } = parseKubeYamlDocuments(text, subject);
  const problems = errors.map((e) => e.message);
  const objects: ApiObject[] = [];
  const ids = new Map<string, string>();
  for (const d of documents) {
    const origin = originOf(d.index, d.line);
    const m = d.value as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown> } | null;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) {
      problems.push(`${origin}: not a Kubernetes object (a YAML map)`);
      continue;
    }
    if (!keep(m, origin)) continue;
    const name = m.metadata?.name;
    if (typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || typeof name !== 'string' || !name) {
      problems.push(
        `${origin}: needs apiVersion, kind and metadata.name${m.metadata?.generateName ? ' (generateName cannot be applied on every reconcile)' : ''}`,
      );
      continue;
    }
    const ns = typeof m.metadata?.namespace === 'string' ? m.metadata.namespace : '';
    const id = `${m.apiVersion}|${m.kind}|${ns}|${name}`.replace(/\//g, '.');
    const other = ids.get(id);
    if (other) {
      problems.push(`${origin}: ${m.kind} ${ns ? `${ns}/` : ''}${name} is rendered twice (also by ${other})`);
      continue;
    }
    ids.set(id, origin);
    objects.push(new ApiObject(scope, id, m as ConstructorParameters<typeof ApiObject>[2]));
  }
  if (problems.length > 0) throw new Error(`${subject}: ${problems.join('; ')}`);
  return objects;
}
