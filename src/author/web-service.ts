import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { Application } from './application';
import { ResourceSpec } from './environments';
import { memorySize, parseCpu, parseMemory } from './quantity';

/** A quantity that may be absent: parsed when set, left out when not. */
function quantity<T>(value: string | undefined, parse: (v: string, f: string) => T, field: string): T | undefined {
  return value == null ? undefined : parse(value, field);
}

/** Horizontal autoscaling of a {@link WebService}. */
export interface AutoscaleProps {
  /** Lower bound of replicas. */
  readonly minReplicas: number;
  /** Upper bound of replicas. */
  readonly maxReplicas: number;
  /** Target average CPU utilisation, in percent of the request. @default 70 */
  readonly cpuUtilization?: number;
}

/** Properties of a {@link WebService}. */
export interface WebServiceProps {
  /** Name of the Deployment, Service and the other objects. @default - the app name */
  readonly name?: string;
  /**
   * Container image. Must carry a tag other than `latest`, or a digest.
   * Used when neither the image pins file nor the environment's `image` override names one.
   * @default - the app's entry in the image pins file, else the environment's `image` override
   */
  readonly image?: string;
  /** Port the container listens on. */
  readonly port: number;
  /** Port the Service exposes. @default 80 */
  readonly servicePort?: number;
  /**
   * Replica count. Ignored when `autoscale` is set: the HorizontalPodAutoscaler owns
   * the replica count then, and the Deployment leaves `spec.replicas` out.
   * @default - the environment's `replicas` override, else 1
   */
  readonly replicas?: number;
  /**
   * CPU and memory requests and limits. Synth refuses a container without CPU and
   * memory limits in production environments (`missing-limits`): a production
   * service without limits is a noisy neighbour. The environment's `resources`
   * override wins.
   * @default - none: no requests or limits (refused by synth in production environments)
   */
  readonly resources?: ResourceSpec;
  /**
   * Labels that select the Pods (Deployment selector, Service selector, Pod labels).
   * Immutable once deployed, so they never derive from construct paths.
   * @default { 'app.kubernetes.io/name': name }
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** Plain environment variables of the container. @default - none */
  readonly env?: Readonly<Record<string, string>>;
  /** Data of a ConfigMap `<name>-config`, exposed to the container as environment variables. @default - no ConfigMap */
  readonly config?: Readonly<Record<string, string>>;
  /** Host name of an Ingress routing to the Service. @default - the environment's `host` override, else no Ingress */
  readonly host?: string;
  /** IngressClass of the Ingress. @default - the cluster default class */
  readonly ingressClassName?: string;
  /** HTTP path of the readiness and liveness probes. @default '/' */
  readonly healthPath?: string;
  /** Horizontal autoscaling on CPU. @default - no HorizontalPodAutoscaler */
  readonly autoscale?: AutoscaleProps;
  /** UID (and GID) the container runs as; must not be 0. @default 10001 */
  readonly user?: number;
}

/**
 * The common case of a stateless HTTP service: a Deployment and a Service, plus an
 * optional Ingress, ConfigMap and HorizontalPodAutoscaler, with production defaults:
 * non-root user, read-only root filesystem (an emptyDir at /tmp), no privilege
 * escalation, HTTP readiness and liveness probes, and mandatory requests and limits.
 * Names come from `name`, never from the construct path.
 */
export class WebService extends Construct {
  /** The Deployment. */
  public readonly deployment: kplus.Deployment;
  /** The Service. */
  public readonly service: kplus.Service;
  /** The Ingress, when a host is set. @default - none (no host) */
  public readonly ingress?: kplus.Ingress;
  /** The ConfigMap, when `config` is set. @default - none (no `config`) */
  public readonly configMap?: kplus.ConfigMap;
  /** The HorizontalPodAutoscaler, when `autoscale` is set. @default - none (no `autoscale`) */
  public readonly autoscaler?: kplus.HorizontalPodAutoscaler;

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const app = Application.of(this);
    const overrides = app.overrides;
    const name = props.name ?? app.appName;
    const field = (f: string) => `WebService "${name}" (app ${app.appName}, env ${app.env.name}): ${f}`;

    // The pins file wins: CI bumps it (`synthops set-image`), a prop in code is the fallback.
    const image = app.env.imageFor(app.appName, props.image);
    if (!image) {
      throw new Error(
        field(`no image: pin one in the image pins file (${app.env.name}.${app.appName}) or set the "image" prop`),
      );
    }
    const user = props.user ?? 10001;
    if (user === 0) throw new Error(field('user must not be 0 (root)'));
    const resources = overrides.resources ?? props.resources;
    const selector = props.selectorLabels ?? { 'app.kubernetes.io/name': name };
    const healthPath = props.healthPath ?? '/';
    const memory = {
      request: quantity(resources?.memory?.request, parseMemory, field('resources.memory.request')),
      limit: quantity(resources?.memory?.limit, parseMemory, field('resources.memory.limit')),
    };

    if (props.config) {
      this.configMap = new kplus.ConfigMap(this, 'config', {
        metadata: { name: `${name}-config` },
        data: { ...props.config },
      });
    }

    this.deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name },
      replicas: props.autoscale ? undefined : (overrides.replicas ?? props.replicas ?? 1),
      select: false,
      podMetadata: { labels: { ...selector } },
      securityContext: { ensureNonRoot: true, user, group: user },
      volumes: [],
      containers: [
        {
          name: 'web',
          image,
          portNumber: props.port,
          envVariables: Object.fromEntries(
            Object.entries(props.env ?? {}).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]),
          ),
          envFrom: this.configMap ? [kplus.Env.fromConfigMap(this.configMap)] : undefined,
          // Always an object: left undefined, cdk8s-plus would invent requests and limits.
          // What is missing stays missing, for synth's missing-limits check to name.
          resources: {
            cpu: {
              request: quantity(resources?.cpu?.request, parseCpu, field('resources.cpu.request')),
              limit: quantity(resources?.cpu?.limit, parseCpu, field('resources.cpu.limit')),
            },
            // cdk8s-plus writes whole mebibytes only; other quantities are patched in below.
            memory: {
              request: memory.request === undefined ? undefined : memorySize(memory.request),
              limit: memory.limit === undefined ? undefined : memorySize(memory.limit),
            },
          },
          securityContext: {
            ensureNonRoot: true,
            user,
            group: user,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          },
          readiness: kplus.Probe.fromHttpGet(healthPath, { port: props.port, periodSeconds: Duration.seconds(5) }),
          liveness: kplus.Probe.fromHttpGet(healthPath, {
            port: props.port,
            initialDelaySeconds: Duration.seconds(10),
          }),
          volumeMounts: [{ path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp') }],
        },
      ],
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: { ...selector } }));
    this.patchMemory(resources, memory);
    // cdk8s-plus adds a Pod label derived from the construct path; renaming the
    // construct would then roll every Pod. Selection uses `selector` only.
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );

    this.service = new kplus.Service(this, 'service', {
      metadata: { name },
      ports: [{ name: 'http', port: props.servicePort ?? 80, targetPort: props.port }],
    });
    for (const [k, v] of Object.entries(selector)) this.service.selectLabel(k, v);

    const host = overrides.host ?? props.host;
    if (host) {
      this.ingress = new kplus.Ingress(this, 'ingress', {
        metadata: { name },
        className: props.ingressClassName,
      });
      this.ingress.addHostDefaultBackend(host, kplus.IngressBackend.fromService(this.service));
    }

    if (props.autoscale) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'hpa', {
        metadata: { name },
        target: this.deployment,
        minReplicas: props.autoscale.minReplicas,
        maxReplicas: props.autoscale.maxReplicas,
        metrics: [
          kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(props.autoscale.cpuUtilization ?? 70)),
        ],
      });
    }
  }

  /** Memory quantities cdk8s-plus cannot write (not whole mebibytes: `500M`, `1.5`), added to the container as they are. */
  private patchMemory(
    resources: ResourceSpec | undefined,
    memory: { readonly request?: string; readonly limit?: string },
  ): void {
    const base = '/spec/template/spec/containers/0/resources';
    const raw = (q: string | undefined) => q !== undefined && memorySize(q) === undefined;
    const sections = [
      { key: 'requests', value: memory.request, cpu: resources?.cpu?.request != null },
      { key: 'limits', value: memory.limit, cpu: resources?.cpu?.limit != null },
    ].map((s) => ({ ...s, rendered: s.cpu || (s.value !== undefined && !raw(s.value)) }));
    // JSON Patch adds only into objects that exist: create what cdk8s-plus left out.
    let hasResources = sections.some((s) => s.rendered);
    const patches: JsonPatch[] = [];
    for (const s of sections) {
      if (!raw(s.value)) continue;
      if (!hasResources) patches.push(JsonPatch.add(base, {}));
      hasResources = true;
      if (!s.rendered) patches.push(JsonPatch.add(`${base}/${s.key}`, {}));
      // Patches apply to the props shape, before the L1 object maps each Quantity to its value.
      patches.push(JsonPatch.add(`${base}/${s.key}/memory`, kplus.k8s.Quantity.fromString(s.value!)));
    }
    if (patches.length > 0) ApiObject.of(this.deployment).addJsonPatch(...patches);
  }
}
