import { Application } from './application';
import { Environment } from './environments';

/** Builds the objects of one app into its {@link Application} for one environment. */
export type AppBuilder = (app: Application, env: Environment) => void;

/** How an app is declared: the default export of a module in `apps/`. */
export interface AppDefinitionProps {
  /** App name: a DNS label, unique in the config repo. */
  readonly name: string;
  /** Fills the Application with the app's constructs; called once per environment. */
  readonly build: AppBuilder;
  /** Environments the app is rendered for. @default - every environment */
  readonly environments?: readonly string[];
  /** Namespace of the app. @default - the environment's `namespace` override, else the app name */
  readonly namespace?: string;
  /** Render the app's Namespace object (see {@link ApplicationProps.createNamespace}). @default true */
  readonly createNamespace?: boolean;
  /** Append construct-path hashes to generated names. @default false */
  readonly hashedNames?: boolean;
  /**
   * Apps that must be applied and healthy before the agent applies this one
   * (in the same environment).
   * @default - none
   */
  readonly dependsOn?: readonly string[];
  /**
   * ServiceAccount (in the app's namespace) the agent impersonates to apply this app,
   * so the app can only write where that account may. Requires the agent to be
   * allowed to impersonate it.
   * @default - the agent's own identity
   */
  readonly serviceAccount?: string;
}

/** An app declared with {@link defineApp}. */
export interface AppDefinition extends AppDefinitionProps {}

const APP_DEFINITION_BRAND = Symbol.for('synthops.AppDefinition');

/** True if `x` was made by {@link defineApp} (works across copies of this module). */
export function isAppDefinition(x: unknown): x is AppDefinition {
  return typeof x === 'object' && x !== null && APP_DEFINITION_BRAND in x;
}

/**
 * Declares an app. Export the result (or an array of them) as the default export
 * of a module in `apps/`; `synthops synth` renders it for every environment.
 *
 * @example
 * export default defineApp({
 *   name: 'web',
 *   build: (app) => new WebService(app, 'web', { port: 8080, resources }),
 * });
 */
export function defineApp(props: AppDefinitionProps): AppDefinition {
  const def: AppDefinition = { ...props };
  Object.defineProperty(def, APP_DEFINITION_BRAND, { value: true });
  return def;
}
