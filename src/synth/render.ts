import { ApiObject, App, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Application } from '../author/application';
import { SopsSecret } from '../author/sops-secret';
import { ImagePins } from '../author/image-pins';
import { AppDefinition } from '../author/define-app';
import { Environment, Environments } from '../author/environments';
import { ConfigRepo } from './discover';
import { CatalogApp, completeEnvironment, environmentDependentApps } from '../author/environment-catalog';
import { Manifest, apiGroup, isCrd } from '../model/manifest';
import { ScopeResolver } from './scope';

/** One object rendered for one app in one environment. */
export interface RenderedObject {
  readonly env: string;
  readonly app: string;
  /** The app's source file, relative to the config repo root. */
  readonly source: string;
  /** Construct path below the cdk8s App, for error messages. */
  readonly constructPath: string;
  readonly manifest: Manifest;
  /** The SOPS file the object was taken in from (a {@link SopsSecret}), relative to the config repo root. @default - none: not a SopsSecret */
  readonly sopsFile?: string;
}

/** Which app, in which environment, and what the index says about it. */
export interface AppHeader {
  readonly env: string;
  readonly app: string;
  /** Source file of the app, relative to the config repo root. */
  readonly source: string;
  readonly namespace: string;
  readonly dependsOn: readonly string[];
  /** `namespace/name` of the ServiceAccount the agent impersonates for the app. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
}

/** One app rendered for one environment. */
export interface RenderedApp extends AppHeader {
  readonly objects: RenderedObject[];
  /** Its objects depend on every app of the environment (AgentInstall): its module must not be cached. @default false */
  readonly dependsOnEnvironment?: boolean;
}

/** An app that threw while it was built or rendered. */
export interface RenderFailure {
  readonly env: string;
  readonly app: string;
  readonly source: string;
  readonly message: string;
}

/** Result of rendering every app for the selected environments. */
export interface RenderResult {
  readonly apps: RenderedApp[];
  readonly failures: RenderFailure[];
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * An object of a cdk8s Chart nested in the Application (a chart brought from plain
 * cdk8s) takes its namespace from that chart, which usually has none: it gets the
 * app's, as the Application's own objects do. Cluster-scoped kinds lose it again in
 * normalize.
 */
function inNestedChart(m: Manifest, obj: ApiObject, application: Application): Manifest {
  if (m.metadata?.namespace !== undefined || Chart.of(obj) === application || SopsSecret.isSopsSecret(obj)) return m;
  return { ...m, metadata: { ...m.metadata, namespace: application.appNamespace } };
}

function apiObjectsOf(scope: IConstruct): ApiObject[] {
  return scope.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

/** An app as planning sees it: a loaded definition, or the summary a cached module kept. */
export interface PlannedApp {
  readonly name: string;
  /** Environments the app is rendered for. @default - every environment */
  readonly environments?: readonly string[];
  readonly source: string;
}

/**
 * Which app renders in which environment, in render order: per environment, the apps
 * in discovery order, without those not meant for it. A second app of the same name
 * is left out: validation reports it, and building it would only add noise.
 */
export function planRenders<A extends PlannedApp>(
  apps: readonly A[],
  envNames: readonly string[],
): Array<{ readonly env: string; readonly app: A }> {
  const plan: Array<{ env: string; app: A }> = [];
  for (const env of envNames) {
    const rendered = new Set<string>();
    for (const app of apps) {
      if (app.environments && !app.environments.includes(env)) continue;
      if (rendered.has(app.name)) continue;
      rendered.add(app.name);
      plan.push({ env, app });
    }
  }
  return plan;
}

/** One app to build in one environment. */
export interface RenderTarget {
  readonly env: string;
  readonly definition: AppDefinition;
  readonly source: string;
}

/** An app of the environment that is not built in this render (its output came from the synth cache). */
export interface CachedApp {
  readonly env: string;
  readonly app: string;
  readonly namespace: string;
  /** `namespace/name` of the ServiceAccount the agent impersonates for the app. @default - the agent's own ServiceAccount */
  readonly serviceAccount?: string;
  readonly manifests: readonly Manifest[];
}

/** Runs the build of one app; the synth cache uses it to see what the app reads. */
export type AroundBuild = <T>(source: string, build: () => T) => T;

/** What every app of one environment contains, for the constructs that depend on all of them. */
function catalogOf(
  apps: ReadonlyArray<{ app: string; namespace: string; serviceAccount?: string; manifests: readonly Manifest[] }>,
): CatalogApp[] {
  const all = apps.flatMap((a) => a.manifests);
  const scopes = new ScopeResolver(all);
  const plurals = new Map<string, string>();
  for (const m of all.filter(isCrd)) {
    const spec = m.spec as { group?: string; names?: { kind?: string; plural?: string } } | undefined;
    if (spec?.group && spec.names?.kind && spec.names.plural)
      plurals.set(`${spec.group}/${spec.names.kind}`, spec.names.plural);
  }
  return apps.map((a) => ({
    name: a.app,
    namespace: a.namespace,
    ...(a.serviceAccount ? { serviceAccount: a.serviceAccount } : {}),
    objects: a.manifests.map((m) => {
      const resource = plurals.get(`${apiGroup(m.apiVersion)}/${m.kind}`);
      const namespace = scopes.isClusterScoped(m.apiVersion, m.kind)
        ? undefined
        : (m.metadata.namespace ?? a.namespace);
      return {
        apiVersion: m.apiVersion,
        kind: m.kind,
        name: m.metadata.name,
        ...(namespace ? { namespace } : {}),
        ...(resource ? { resource } : {}),
      };
    }),
  }));
}

/**
 * Builds the given apps and renders their objects to JSON. Apps of one environment
 * share one cdk8s App. Every app of an environment is built before any is rendered,
 * and apps whose objects depend on every app (AgentInstall) are rendered last, once
 * the others (and `known`, the apps the cache brings) are complete. Failures are
 * collected per app, so one broken app does not hide the errors of another. Apps come
 * back in the order given.
 */
export function renderApps(
  targets: readonly RenderTarget[],
  environments: Environments,
  pins: ImagePins,
  around: AroundBuild = (_s, build) => build(),
  known: readonly CachedApp[] = [],
  root = process.cwd(),
  onStep?: (step: 'built' | 'rendered') => void,
): RenderResult {
  const failures: RenderFailure[] = [];
  const envs = new Map<string, { env: Environment; cdkApp: App }>();
  type Built = { readonly index: number; readonly target: RenderTarget; readonly application: Application };
  const built: Built[] = [];
  targets.forEach((target, index) => {
    const { env: envName, definition, source } = target;
    let scope = envs.get(envName);
    if (!scope) {
      // One cdk8s App per environment; its outdir is never written.
      scope = {
        env: new Environment(envName, environments.definitions[envName], pins[envName]),
        cdkApp: new App({ outdir: '.' }),
      };
      envs.set(envName, scope);
    }
    const { env, cdkApp } = scope;
    around(source, () => {
      try {
        const application = new Application(cdkApp, definition.name, {
          app: definition.name,
          env,
          namespace: definition.namespace,
          createNamespace: definition.createNamespace,
          hashedNames: definition.hashedNames,
          configRoot: root,
        });
        definition.build(application, env);
        built.push({ index, target, application });
      } catch (e) {
        failures.push({ env: envName, app: definition.name, source, message: `threw while building: ${errorText(e)}` });
      }
    });
    onStep?.('built');
  });

  const rendered = new Map<number, RenderedApp>();
  const renderOne = (
    { index, target: { env: envName, definition, source }, application }: Built,
    dependsOnEnvironment: boolean,
  ): void => {
    const fail = (message: string) => failures.push({ env: envName, app: definition.name, source, message });
    onStep?.('rendered');
    around(source, () => {
      const objects: RenderedObject[] = [];
      try {
        const constructErrors = application.node
          .findAll()
          .flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
        if (constructErrors.length > 0) {
          fail(`construct validation failed: ${constructErrors.join('; ')}`);
          return;
        }
        for (const obj of apiObjectsOf(application)) {
          objects.push({
            env: envName,
            app: definition.name,
            source,
            constructPath: obj.node.path,
            manifest: inNestedChart(obj.toJson() as Manifest, obj, application),
            ...(SopsSecret.isSopsSecret(obj) ? { sopsFile: obj.file } : {}),
          });
        }
      } catch (e) {
        fail(`threw while rendering: ${errorText(e)}`);
        return;
      }
      rendered.set(index, {
        env: envName,
        app: definition.name,
        source,
        namespace: application.appNamespace,
        dependsOn: definition.dependsOn ?? [],
        serviceAccount: definition.serviceAccount
          ? `${application.appNamespace}/${definition.serviceAccount}`
          : undefined,
        ...(dependsOnEnvironment ? { dependsOnEnvironment } : {}),
        objects,
      });
    });
  };

  for (const [envName, { cdkApp }] of envs) {
    const dependent = environmentDependentApps(cdkApp);
    const mine = built.filter((b) => b.target.env === envName);
    for (const b of mine.filter((x) => !dependent.has(x.target.definition.name))) renderOne(b, false);
    const complete: Array<{ app: string; namespace: string; serviceAccount?: string; manifests: readonly Manifest[] }> =
      [
        ...mine
          .flatMap((b) => (rendered.has(b.index) ? [rendered.get(b.index)!] : []))
          .map((a) => ({ ...a, manifests: a.objects.map((o) => o.manifest) })),
        ...known.filter((k) => k.env === envName),
      ];
    const waiting = mine.filter((x) => dependent.has(x.target.definition.name));
    // The waiting apps themselves, as built so far (kinds and names; rendering them needs the catalog).
    for (const b of waiting) {
      const manifests = apiObjectsOf(b.application).map(
        (o) =>
          ({
            apiVersion: o.apiVersion,
            kind: o.kind,
            metadata: { name: o.name, namespace: o.metadata.namespace },
          }) as Manifest,
      );
      complete.push({
        app: b.target.definition.name,
        namespace: b.application.appNamespace,
        serviceAccount: b.target.definition.serviceAccount
          ? `${b.application.appNamespace}/${b.target.definition.serviceAccount}`
          : undefined,
        manifests,
      });
    }
    try {
      completeEnvironment(cdkApp, catalogOf(complete));
    } catch (e) {
      for (const b of waiting)
        failures.push({
          env: envName,
          app: b.target.definition.name,
          source: b.target.source,
          message: `threw while rendering: ${errorText(e)}`,
        });
      continue;
    }
    for (const b of waiting) renderOne(b, true);
  }
  const apps = [...rendered.entries()].sort(([a], [b]) => a - b).map(([, a]) => a);
  return { apps, failures };
}

/**
 * Builds every app of the repo for each environment in `envNames` and renders its
 * objects to JSON. Failures are collected per app, so one broken app does not hide
 * the errors of another.
 */
export function render(repo: ConfigRepo, envNames: readonly string[], pins: ImagePins): RenderResult {
  const planned = planRenders(
    repo.apps.map((a) => ({
      name: a.definition.name,
      environments: a.definition.environments,
      source: a.source,
      definition: a.definition,
    })),
    envNames,
  );
  return renderApps(
    planned.map(({ env, app }) => ({ env, definition: app.definition, source: app.source })),
    repo.environments,
    pins,
    undefined,
    [],
    repo.root,
  );
}
