import { IConstruct } from 'constructs';

/** One object of an app of the environment, as a construct that depends on every app sees it. */
export interface CatalogObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Namespace of a namespaced object. @default - none: the kind is cluster-scoped */
  readonly namespace?: string;
  /** Plural resource name, when a CustomResourceDefinition of the environment defines the kind. @default - none: the usual English plural applies */
  readonly resource?: string;
}

/** One app of the environment being rendered: what it is applied as, and what it contains. */
export interface CatalogApp {
  readonly name: string;
  readonly namespace: string;
  /** `namespace/name` of the ServiceAccount the agent applies the app as. @default - none: the agent's own identity */
  readonly serviceAccount?: string;
  readonly objects: readonly CatalogObject[];
}

/**
 * Called once every app of the environment is built, with every app (byte order of
 * their names), its own included: that one with the objects it has built so far.
 */
export type EnvironmentCompletion = (others: readonly CatalogApp[]) => void;

interface Waiting {
  /** The app the construct belongs to. */
  readonly appName: string;
  readonly complete: EnvironmentCompletion;
}

// Kept on the root of the construct tree (one cdk8s App per environment), under a
// global symbol: a config repo's apps may load another copy of this module than synth.
const WAITING = Symbol.for('synthops.environmentCompletions');

function waitingOn(root: IConstruct): Waiting[] {
  const holder = root as unknown as { [WAITING]?: Waiting[] };
  if (!holder[WAITING]) Object.defineProperty(holder, WAITING, { value: [], enumerable: false, writable: true });
  return holder[WAITING]!;
}

/**
 * Registers a construct whose objects depend on every app of its environment (the
 * agent's RBAC: what it reads, whom it impersonates). `synthops synth` builds every
 * app first, then calls `complete` with every app (the ones it renders now and the
 * ones its cache brings), then renders the registering app. Its module is never
 * cached: its output changes when any other app does.
 */
export function whenEnvironmentComplete(scope: IConstruct, appName: string, complete: EnvironmentCompletion): void {
  waitingOn(scope.node.root).push({ appName, complete });
}

/** Names of the apps below `root` that wait for {@link completeEnvironment}. */
export function environmentDependentApps(root: IConstruct): ReadonlySet<string> {
  return new Set(waitingOn(root).map((w) => w.appName));
}

/** Completes every construct registered below `root` with `apps`; each registration runs once. */
export function completeEnvironment(root: IConstruct, apps: readonly CatalogApp[]): void {
  const list = waitingOn(root).splice(0);
  const sorted = [...apps].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const w of list) w.complete(sorted);
}
