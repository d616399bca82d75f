import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { APP_LABEL, ENV_LABEL, PRUNE_ANNOTATION, PRUNE_DISABLED } from '../model/keys';
import { AppOverrides, Environment } from './environments';

/** Properties of an {@link Application}. */
export interface ApplicationProps {
  /** App name: a DNS label, unique in the config repo. Becomes the `synthops.dev/app` label. */
  readonly app: string;
  /** The environment this instance is rendered for. Its name becomes the `synthops.dev/env` label. */
  readonly env: Environment;
  /**
   * Namespace of every namespaced object in the app that does not set its own.
   * @default - the environment's `namespace` override for the app, else the app name
   */
  readonly namespace?: string;
  /**
   * Render the Namespace object itself. It is annotated `synthops.dev/prune: disabled`,
   * so removing the app never deletes the namespace (and whatever else lives in it).
   * Set to false when several apps share one namespace.
   * @default true
   */
  readonly createNamespace?: boolean;
  /** Extra labels for every object. The synthops labels always win. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Append cdk8s's construct-path hash to generated names. Off by default: names
   * are part of the deploy contract, and a hash that changes when a construct moves
   * silently replaces the live object.
   * @default false
   */
  readonly hashedNames?: boolean;
  /**
   * Root of the config repo: files that constructs take in by a relative path (a
   * SopsSecret's) are found from here. Synth sets it.
   * @default process.cwd()
   */
  readonly configRoot?: string;
}

const APPLICATION_BRAND = Symbol.for('synthops.Application');
// Ids that cdk8s and cdk8s-plus use for the single L1 object inside an L2 construct.
const TRANSPARENT_IDS = new Set(['Default', 'Resource']);

/**
 * One application in one environment: a cdk8s Chart that sets the namespace and the
 * `synthops.dev/app` / `synthops.dev/env` labels on every object it contains, and
 * gives objects without an explicit name a stable, hash-free name.
 *
 * Synth stamps the labels again on the rendered objects, so objects changed through
 * escape hatches (`addJsonPatch`, `Include`, imported constructs) carry them too.
 */
export class Application extends Chart {
  /** True if `x` is an Application (works across copies of this module). */
  public static isApplication(x: unknown): x is Application {
    return typeof x === 'object' && x !== null && APPLICATION_BRAND in x;
  }

  /** The Application a construct belongs to; throws if it is not inside one. */
  public static of(construct: IConstruct): Application {
    for (const scope of [...construct.node.scopes].reverse()) {
      if (Application.isApplication(scope)) return scope;
    }
    throw new Error(`${construct.node.path} is not inside a synthops Application`);
  }

  /** App name (`synthops.dev/app`). */
  public readonly appName: string;
  /** The environment this instance is rendered for. */
  public readonly env: Environment;
  /** The overrides that apply to this app in this environment. */
  public readonly overrides: AppOverrides;
  /** Namespace of the app's namespaced objects. */
  public readonly appNamespace: string;
  /** Root of the config repo (see {@link ApplicationProps.configRoot}). */
  public readonly configRoot: string;
  private readonly hashedNames: boolean;

  constructor(scope: Construct, id: string, props: ApplicationProps) {
    const overrides = props.env.overridesFor(props.app);
    const namespace = props.namespace ?? overrides.namespace ?? props.app;
    super(scope, id, {
      namespace,
      labels: { ...props.labels, [APP_LABEL]: props.app, [ENV_LABEL]: props.env.name },
      disableResourceNameHashes: !props.hashedNames,
    });
    Object.defineProperty(this, APPLICATION_BRAND, { value: true });
    this.appName = props.app;
    this.env = props.env;
    this.overrides = overrides;
    this.appNamespace = namespace;
    this.hashedNames = props.hashedNames ?? false;
    this.configRoot = props.configRoot ?? process.cwd();

    if (props.createNamespace ?? true) {
      new k8s.KubeNamespace(this, 'namespace', {
        metadata: { name: namespace, annotations: { [PRUNE_ANNOTATION]: PRUNE_DISABLED } },
      });
    }
  }

  /**
   * Name for an object without `metadata.name`: its construct path below this
   * Application, lowercased and joined with "-", without a hash (unless `hashedNames`).
   * Give objects explicit names where you can; a generated name changes when the
   * construct is renamed or moved, and `synthops diff` then shows a replacement.
   */
  public generateObjectName(apiObject: ApiObject): string {
    if (this.hashedNames) return super.generateObjectName(apiObject);
    const scopes = apiObject.node.scopes;
    const below = scopes.slice(scopes.indexOf(this) + 1);
    const parts = below
      .map((c) => c.node.id)
      .filter((id) => !TRANSPARENT_IDS.has(id))
      .map((id) =>
        id
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, ''),
      )
      .filter((id) => id.length > 0);
    return parts.join('-') || this.appName;
  }
}
