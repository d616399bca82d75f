/** Renders constructs in memory for unit tests of the authoring API. */
import { App } from 'cdk8s';
import { Application } from '../../src/author/application';
import { Environment, EnvironmentProps } from '../../src/author/environments';
import { Manifest } from '../../src/model/manifest';

/** Options of {@link renderApp}. */
export interface RenderAppOptions {
  readonly app?: string;
  readonly env?: string;
  readonly envProps?: EnvironmentProps;
  readonly pins?: Record<string, string>;
  readonly createNamespace?: boolean;
  readonly hashedNames?: boolean;
}

/** Builds one Application with `build` and returns its rendered objects. */
export function renderApp(build: (app: Application, env: Environment) => void, o: RenderAppOptions = {}): Manifest[] {
  const env = new Environment(o.env ?? 'dev', o.envProps ?? {}, o.pins ?? {});
  const application = new Application(new App({ outdir: '.' }), o.app ?? 'shop', {
    app: o.app ?? 'shop',
    env,
    createNamespace: o.createNamespace,
    hashedNames: o.hashedNames,
  });
  build(application, env);
  return application.toJson() as Manifest[];
}

/** The one object of this kind (fails the test if there is not exactly one). */
export function only(objects: readonly Manifest[], kind: string): Manifest & Record<string, any> {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1)
    throw new Error(`expected one ${kind}, found ${found.length}: ${objects.map((o) => o.kind).join(', ')}`);
  return found[0] as Manifest & Record<string, any>;
}
