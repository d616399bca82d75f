import { Manifest } from './manifest';

/** What differs between the agent's CRDs (all namespaced, group synthops.dev, one version with a status). */
export interface AgentCrdSpec {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly printerColumns: readonly Record<string, unknown>[];
  /** The `spec` property's schema. */
  readonly spec: Record<string, unknown>;
  /** What the object is, for `kubectl explain`. */
  readonly description: string;
}

/** A CustomResourceDefinition of synthops.dev/v1alpha1 whose status is the agent's (kept as written). */
export function agentCrd(o: AgentCrdSpec): Manifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${o.plural}.synthops.dev` },
    spec: {
      group: 'synthops.dev',
      scope: 'Namespaced',
      names: {
        kind: o.kind,
        listKind: `${o.kind}List`,
        plural: o.plural,
        singular: o.singular,
        shortNames: [...o.shortNames],
      },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...o.printerColumns],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: o.description,
              properties: {
                spec: o.spec,
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}
