import { ObjectRef } from './manifest';

/** apiVersion of `dist/index.json`. */
export const INDEX_API_VERSION = 'synthops.dev/v1alpha1';
/** Name of the index file at the root of the output folder. */
export const INDEX_FILE = 'index.json';

/** A file of the output with its sha256. */
export interface IndexedFile {
  /** Path relative to the output root, "/" separated. */
  readonly path: string;
  readonly sha256: string;
}

/** An object of an app and the file that holds it. */
export interface IndexedObject extends ObjectRef {
  /** Path relative to the output root. */
  readonly file: string;
}

/** One app in one environment. */
export interface IndexedApp {
  readonly env: string;
  readonly app: string;
  readonly namespace: string;
  /** Source file of the app, relative to the config repo root. */
  readonly source: string;
  /** Apps that must be healthy before this one is applied (present only when not empty). @default - none */
  readonly dependsOn?: readonly string[];
  /** `namespace/name` of the ServiceAccount the agent impersonates for this app (present only when set). @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
  readonly objects: readonly IndexedObject[];
}

/**
 * `dist/index.json`: what the output contains. The agent reads it to know the apps
 * and objects, and verifies every file against its sha256.
 */
export interface SynthIndex {
  readonly apiVersion: typeof INDEX_API_VERSION;
  readonly kind: 'SynthIndex';
  readonly environments: readonly string[];
  readonly apps: readonly IndexedApp[];
  readonly files: readonly IndexedFile[];
}

/** Serialises the index with sorted, stable content and a trailing newline. */
export function indexToJson(index: SynthIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}
