import { ObjectHealth } from './health';
import { agentCrd } from './crd';
import { Manifest, ObjectRef } from './manifest';

// No imports beyond types: AgentInstall renders this CRD at synth time, and synth must
// not load the Kubernetes client.

/** API group/version and kind of the status object. */
export const STATUS_API_VERSION = 'synthops.dev/v1alpha1';
export const STATUS_KIND = 'AppSync';
/** Plural resource name of AppSync. */
export const PLURAL = 'appsyncs';

/** The CustomResourceDefinition of AppSync: one object per app and environment, status only. */
export const STATUS_CRD: Manifest = agentCrd({
  kind: STATUS_KIND,
  plural: PLURAL,
  singular: 'appsync',
  shortNames: ['sync'],
  printerColumns: [
    { name: 'Env', type: 'string', jsonPath: '.spec.env' },
    { name: 'Revision', type: 'string', jsonPath: '.status.lastAppliedRevisionShort' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Message', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 0 },
    { name: 'Last Sync', type: 'date', jsonPath: '.status.lastSyncTime' },
    { name: 'Commit To Converged', type: 'number', jsonPath: '.status.commitToConvergedSeconds', priority: 1 },
  ],
  description:
    'What the synthops agent last did for one app in one environment. Written by the agent; set spec.suspend to stop its writes.',
  spec: {
    type: 'object',
    properties: {
      app: { type: 'string' },
      env: { type: 'string' },
      suspend: { type: 'boolean', description: 'Stop writes (drift is still reported).' },
    },
  },
});

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
  /** Objects the reconcile created, configured and pruned. @default - not recorded (older agents) */
  readonly objects?: { readonly created: number; readonly configured: number; readonly pruned: number };
}

/** The status subresource of an AppSync. */
export interface AppSyncStatus {
  /** Last revision of which every object was written or found unchanged (health aside). @default - none (never applied) */
  readonly lastAppliedRevision?: string;
  /** Its first 12 characters, for the printer column. @default - none (never applied) */
  readonly lastAppliedRevisionShort?: string;
  /** Revision of the last reconcile, whatever its result. @default - unknown (never reconciled) */
  readonly lastAttemptedRevision?: string;
  /** When the last reconcile was recorded (ISO 8601). @default - unknown (never reconciled) */
  readonly lastSyncTime?: string;
  /** `Ready`, `Reconciling` and `Stalled`. @default - unknown (never reconciled) */
  readonly conditions?: readonly Condition[];
  /** The app's objects as its inventory records them. @default - unknown (never reconciled) */
  readonly inventory?: readonly ObjectRef[];
  /** Objects not healthy after the last reconcile. @default - unknown (never reconciled) */
  readonly unhealthy?: readonly ObjectHealth[];
  /** Problems of the last reconcile, one line each. @default - unknown (never reconciled) */
  readonly errors?: readonly string[];
  /** Prunes held by the guards. @default - unknown (never reconciled) */
  readonly held?: readonly string[];
  /** What a suspended app would write or prune (drift from Git). @default - unknown (never reconciled) */
  readonly drift?: readonly string[];
  /** The last five reconciles, oldest first. @default - unknown (never reconciled) */
  readonly history?: readonly HistoryEntry[];
  /** Seconds from the commit of the last converged revision to its convergence. @default - none (never converged) */
  readonly commitToConvergedSeconds?: number;
  /** Reconciles that rewrote objects after drift by others. @default 0 */
  readonly driftRepairs?: number;
  /** The last time the deploy branch was rewritten (force-push or unrelated history). @default - none seen */
  readonly historyRewrite?: { readonly from: string; readonly to: string; readonly time: string };
  /** The last `synthops.dev/reconcile-requested-at` value the agent reconciled the app for. @default - none handled */
  readonly lastHandledReconcileAt?: string;
}

/** An AppSync as read from the cluster. */
export interface AppSync {
  readonly metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  readonly spec: { app: string; env: string; suspend?: boolean };
  /** Written by the agent. @default - unknown (never reconciled) */
  readonly status?: AppSyncStatus;
}

/** Name of the AppSync of an app. */
export function appSyncName(env: string, app: string): string {
  return `${env}.${app}`;
}
