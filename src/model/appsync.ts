import { ObjectHealth } from './health';
import { Manifest, ObjectRef } from './manifest';

// No imports beyond types: AgentInstall renders this CRD at synth time, and synth must
// not load the Kubernetes client.

/** API group/version and kind of the status object. */
export const STATUS_API_VERSION = 'synthops.dev/v1alpha1';
export const STATUS_KIND = 'AppSync';
/** Plural resource name of AppSync. */
export const PLURAL = 'appsyncs';

/** The CustomResourceDefinition of AppSync: one object per app and environment, status only. */
export const STATUS_CRD: Manifest = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${PLURAL}.synthops.dev` },
  spec: {
    group: 'synthops.dev',
    scope: 'Namespaced',
    names: { kind: STATUS_KIND, listKind: `${STATUS_KIND}List`, plural: PLURAL, singular: 'appsync', shortNames: ['sync'] },
    versions: [{
      name: 'v1alpha1', served: true, storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: 'Env', type: 'string', jsonPath: '.spec.env' },
        { name: 'Revision', type: 'string', jsonPath: '.status.lastAppliedRevisionShort' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 0 },
        { name: 'Last Sync', type: 'date', jsonPath: '.status.lastSyncTime' },
        { name: 'Commit To Converged', type: 'number', jsonPath: '.status.commitToConvergedSeconds', priority: 1 },
      ],
      schema: {
        openAPIV3Schema: {
          type: 'object',
          description: 'What the synthops agent last did for one app in one environment. Written by the agent; set spec.suspend to stop its writes.',
          properties: {
            spec: {
              type: 'object',
              properties: {
                app: { type: 'string' },
                env: { type: 'string' },
                suspend: { type: 'boolean', description: 'Stop writes (drift is still reported).' },
              },
            },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    }],
  },
};


/** One condition, Kubernetes style. */
export interface Condition {
  readonly type: 'Ready' | 'Reconciling' | 'Stalled';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
}

/** One entry of the reconcile history. */
export interface HistoryEntry {
  readonly revision: string;
  readonly startTime: string;
  readonly durationSeconds: number;
  readonly result: string;
  readonly message: string;
}

/** The status subresource of an AppSync. */
export interface AppSyncStatus {
  readonly lastAppliedRevision?: string;
  readonly lastAppliedRevisionShort?: string;
  readonly lastAttemptedRevision?: string;
  readonly lastSyncTime?: string;
  readonly conditions?: readonly Condition[];
  readonly inventory?: readonly ObjectRef[];
  readonly unhealthy?: readonly ObjectHealth[];
  readonly errors?: readonly string[];
  readonly held?: readonly string[];
  readonly drift?: readonly string[];
  readonly history?: readonly HistoryEntry[];
  readonly commitToConvergedSeconds?: number;
  readonly driftRepairs?: number;
  /** The last time the deploy branch was rewritten (force-push or unrelated history). */
  readonly historyRewrite?: { readonly from: string; readonly to: string; readonly time: string };
}

/** An AppSync as read from the cluster. */
export interface AppSync {
  readonly metadata: { name: string; namespace: string; uid?: string; annotations?: Record<string, string> };
  readonly spec: { app: string; env: string; suspend?: boolean };
  readonly status?: AppSyncStatus;
}

/** Name of the AppSync of an app. */
export function appSyncName(env: string, app: string): string {
  return `${env}.${app}`;
}

