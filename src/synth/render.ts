import { ApiObject, App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Application } from '../author/application';
import { ImagePins } from '../author/image-pins';
import { Environment } from '../author/environments';
import { ConfigRepo } from './discover';
import { Manifest } from './manifest';

/** One object rendered for one app in one environment. */
export interface RenderedObject {
  readonly env: string;
  readonly app: string;
  /** The app's source file, relative to the config repo root. */
  readonly source: string;
  /** Construct path below the cdk8s App, for error messages. */
  readonly constructPath: string;
  readonly manifest: Manifest;
}

/** One app rendered for one environment. */
export interface RenderedApp {
  readonly env: string;
  readonly app: string;
  readonly source: string;
  readonly namespace: string;
  readonly dependsOn: readonly string[];
  readonly serviceAccount?: string;
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

/**
 * Builds every app of the repo for each environment in `envNames` and renders its
 * objects to JSON. Failures are collected per app, so one broken app does not hide
 * the errors of another.
 */
export function render(repo: ConfigRepo, envNames: readonly string[], pins: ImagePins): RenderResult {
  const apps: RenderedApp[] = [];
  const failures: RenderFailure[] = [];
  for (const envName of envNames) {
    const env = new Environment(envName, repo.environments.definitions[envName], pins[envName]);
    // One cdk8s App per environment; its outdir is never written.
    const cdkApp = new App({ outdir: '.' });
    const rendered = new Set<string>();
    for (const { definition, source } of repo.apps) {
      if (definition.environments && !definition.environments.includes(envName)) continue;
      // A second app of the same name is reported by validation; building it would only add noise.
      if (rendered.has(definition.name)) continue;
      rendered.add(definition.name);
      const fail = (message: string) => failures.push({ env: envName, app: definition.name, source, message });
      let application: Application;
      try {
        application = new Application(cdkApp, definition.name, {
          app: definition.name,
          env,
          namespace: definition.namespace,
          createNamespace: definition.createNamespace,
          hashedNames: definition.hashedNames,
        });
        definition.build(application, env);
      } catch (e) {
        fail(`threw while building: ${errorText(e)}`);
        continue;
      }
      const objects: RenderedObject[] = [];
      try {
        const constructErrors = application.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
        if (constructErrors.length > 0) {
          fail(`construct validation failed: ${constructErrors.join('; ')}`);
          continue;
        }
        for (const obj of apiObjectsOf(application)) {
          objects.push({
            env: envName,
            app: definition.name,
            source,
            constructPath: obj.node.path,
            manifest: obj.toJson() as Manifest,
          });
        }
      } catch (e) {
        fail(`threw while rendering: ${errorText(e)}`);
        continue;
      }
      apps.push({ env: envName, app: definition.name, source, namespace: application.appNamespace, dependsOn: definition.dependsOn ?? [], serviceAccount: definition.serviceAccount ? `${application.appNamespace}/${definition.serviceAccount}` : undefined, objects });
    }
  }
  return { apps, failures };
}
