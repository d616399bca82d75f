/** A request and a limit of one resource, as Kubernetes quantities. */
export interface ResourceQuantities {
  /** What the scheduler reserves. @default - none: no request */
  readonly request?: string;
  /** The most the container may use. Required in production environments (`missing-limits`). @default - none: no limit */
  readonly limit?: string;
}

/**
 * CPU and memory, each with a request and a limit, as Kubernetes quantities. Synth
 * refuses containers without CPU and memory limits in production environments.
 */
export interface ResourceSpec {
  /** CPU request and limit, e.g. `{ request: '100m', limit: '500m' }`. @default - none: no CPU request or limit */
  readonly cpu?: ResourceQuantities;
  /** Memory request and limit, e.g. `{ request: '64Mi', limit: '128Mi' }`. @default - none: no memory request or limit */
  readonly memory?: ResourceQuantities;
}

/**
 * Per-environment settings for one app. Constructs read them through
 * {@link Environment.overridesFor}; anything left out keeps the construct's own value.
 */
export interface AppOverrides {
  /** Replica count. @default - the construct's value */
  readonly replicas?: number;
  /** Image reference, used when the image pins file has no entry for the app. @default - the construct's value */
  readonly image?: string;
  /** Resource requests and limits. @default - the construct's value */
  readonly resources?: ResourceSpec;
  /** Public host name; a WebService with a host gets an Ingress. @default - no Ingress */
  readonly host?: string;
  /** Namespace of the app's objects. @default - the app name */
  readonly namespace?: string;
  /**
   * Allow Secrets in plain text in a production environment (synth's
   * `unencrypted-secret` check); set it in `defaults` for a whole environment.
   * @default false
   */
  readonly allowUnencryptedSecrets?: boolean;
}

/** How one environment is defined in `apps/environments.ts`. */
export interface EnvironmentProps {
  /**
   * Production environments get the strict rules: every container must declare
   * CPU and memory limits.
   * @default false
   */
  readonly production?: boolean;
  /** Overrides applied to every app in this environment. @default - none */
  readonly defaults?: AppOverrides;
  /** Overrides for single apps, by app name; they win over `defaults`. @default - none */
  readonly apps?: Readonly<Record<string, AppOverrides>>;
}

const ENVIRONMENTS_BRAND = Symbol.for('synthops.Environments');

/** The set of environments of a config repo, as returned by {@link defineEnvironments}. */
export interface Environments {
  /** Environment name -> definition, in declaration order. */
  readonly definitions: Readonly<Record<string, EnvironmentProps>>;
}

/** True if `x` was made by {@link defineEnvironments} (works across copies of this module). */
export function isEnvironments(x: unknown): x is Environments {
  return typeof x === 'object' && x !== null && ENVIRONMENTS_BRAND in x;
}

const ENV_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Declares the environments every app is rendered for; the default export of
 * `apps/environments.ts`. One codebase renders every environment.
 *
 * @example
 * export default defineEnvironments({
 *   dev: { defaults: { replicas: 1 } },
 *   prod: { production: true, apps: { web: { replicas: 3, host: 'web.example.com' } } },
 * });
 */
export function defineEnvironments(definitions: Record<string, EnvironmentProps>): Environments {
  const names = Object.keys(definitions);
  if (names.length === 0) throw new Error('defineEnvironments: at least one environment is required');
  for (const name of names) {
    if (!ENV_NAME.test(name) || name.length > 63) {
      throw new Error(
        `defineEnvironments: environment name "${name}" must be a DNS label (lowercase letters, digits, "-")`,
      );
    }
  }
  const envs = { definitions: { ...definitions } };
  Object.defineProperty(envs, ENVIRONMENTS_BRAND, { value: true });
  return envs;
}

/**
 * One environment as seen by an app while it is rendered: its name, whether it is
 * production, and the overrides and image pins that apply to each app.
 */
export class Environment {
  /** Environment name, e.g. `prod`. */
  public readonly name: string;
  /** Whether the production rules apply. @default false */
  public readonly production: boolean;
  private readonly props: EnvironmentProps;
  private readonly pins: Readonly<Record<string, string>>;

  /**
   * @param name environment name
   * @param props its definition from `apps/environments.ts`
   * @param pins image pins of this environment (app name -> image)
   */
  constructor(name: string, props: EnvironmentProps = {}, pins: Readonly<Record<string, string>> = {}) {
    this.name = name;
    this.production = props.production ?? false;
    this.props = props;
    this.pins = pins;
  }

  /** The overrides for `app`: environment defaults merged with the app's own entry. */
  public overridesFor(app: string): AppOverrides {
    return { ...this.props.defaults, ...this.props.apps?.[app] };
  }

  /**
   * The image for `app`: its entry in the image pins file, else the `image`
   * override, else `fallback`.
   */
  public imageFor(app: string, fallback?: string): string | undefined {
    return this.pins[app] ?? this.overridesFor(app).image ?? fallback;
  }
}
