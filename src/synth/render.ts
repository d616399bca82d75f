import { ApiObject, App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Application } from '../author/application';
import { SopsSecret } from '../author/sops-secret';
import { ImagePins } from '../author/image-pins';
import { AppDefinition } from '../author/define-app';
import { Environment, Environments } from '../author/environments';
import { ConfigRepo } from './discover';
import { Manifest } from '../model/manifest';

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
export function planRenders<A extends PlannedApp>(apps: readonly A[], envNames: readonly string[]): Array<{ readonly env: string; readonly app: A }> {
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

/** Runs the build of one app; the synth cache uses it to see what the app reads. */
export type AroundBuild = <T>(source: string, build: () => T) => T;

/**
 * Builds the given apps and renders their objects to JSON, in the order given. Apps
 * of one environment share one cdk8s App. Failures are collected per app, so one
 * broken app does not hide the errors of another.
 */
export function renderApps(targets: readonly RenderTarget[], environments: Environments, pins: ImagePins, around: AroundBuild = (_s, build) => build(), root = process.cwd()): RenderResult {
  const apps: RenderedApp[] = [];
  const failures: RenderFailure[] = [];
  const envs = new Map<string, { env: Environment; cdkApp: App }>();
  for (const { env: envName, definition, source } of targets) {
    let scope = envs.get(envName);
    if (!scope) {
      // One cdk8s App per environment; its outdir is never written.
      scope = { env: new Environment(envName, environments.definitions[envName], pins[envName]), cdkApp: new App({ outdir: '.' }) };
      envs.set(envName, scope);
    }
    const { env, cdkApp } = scope;
    const fail = (message: string) => failures.push({ env: envName, app: definition.name, source, message });
    around(source, () => {
      let application: Application;
      try {
        application = new Application(cdkApp, definition.name, {
          app: definition.name,
          env,
          namespace: definition.namespace,
          createNamespace: definition.createNamespace,
          hashedNames: definition.hashedNames,
          configRoot: root,
        });
        definition.build(application, env);
      } catch (e) {
        fail(`threw while building: ${errorText(e)}`);
        return;
      }
      const objects: RenderedObject[] = [];
      try {
        const constructErrors = application.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
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
            manifest: obj.toJson() as Manifest,
            ...(SopsSecret.isSopsSecret(obj) ? { sopsFile: obj.file } : {}),
          });
        }
      } catch (e) {
        fail(`threw while rendering: ${errorText(e)}`);
        return;
      }
      apps.push({ env: envName, app: definition.name, source, namespace: application.appNamespace, dependsOn: definition.dependsOn ?? [], serviceAccount: definition.serviceAccount ? `${application.appNamespace}/${definition.serviceAccount}` : undefined, objects });
    });
  }
  return { apps, failures };
}

/**
 * Builds every app of the repo for each environment in `envNames` and renders its
 * objects to JSON. Failures are collected per app, so one broken app does not hide
 * the errors of another.
 */
export function render(repo: ConfigRepo, envNames: readonly string[], pins: ImagePins): RenderResult {
  const planned = planRenders(repo.apps.map((a) => ({ name: a.definition.name, environments: a.definition.environments, source: a.source, definition: a.definition })), envNames);
  return renderApps(planned.map(({ env, app }) => ({ env, definition: app.definition, source: app.source })), repo.environments, pins, undefined, repo.root);
}
