import type { AppSync, Condition } from '../agent/state/status-store';

/** What the UI says about an app, worst first in {@link STATES}. */
export type UiState = 'Degraded' | 'PruneHeld' | 'Progressing' | 'Suspended' | 'Ready';

/** Every state, worst first: the sort order of the overview and the order of its counts. */
export const STATES: readonly UiState[] = ['Degraded', 'PruneHeld', 'Progressing', 'Suspended', 'Ready'];

/** Human labels of the states. */
export const STATE_LABELS: Readonly<Record<UiState, string>> = {
  Degraded: 'Degraded',
  PruneHeld: 'Prune held',
  Progressing: 'Progressing',
  Suspended: 'Suspended',
  Ready: 'Ready',
};

// The agent's annotation that suspends an app (src/agent/controller.ts SUSPEND_ANNOTATION).
// Repeated here so the UI does not load the controller and its dependencies.
const SUSPEND_ANNOTATION = 'synthops.dev/suspend';

/** The app's Ready condition, if the agent wrote one. */
export function readyCondition(sync: AppSync): Condition | undefined {
  return sync.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Whether the app's writes are suspended (by spec, annotation, or as the agent reported). */
export function isSuspended(sync: AppSync): boolean {
  return (
    sync.spec.suspend === true ||
    sync.metadata.annotations?.[SUSPEND_ANNOTATION] === 'true' ||
    readyCondition(sync)?.reason === 'Suspended'
  );
}

/**
 * The state of an app, from the condition reasons the agent writes (an API contract,
 * see src/agent/controller.ts): waiting reasons are Progressing, every failure Degraded.
 */
export function stateOf(sync: AppSync): UiState {
  if (isSuspended(sync)) return 'Suspended';
  const ready = readyCondition(sync);
  if (!ready) return 'Progressing';
  if (ready.status === 'True') return 'Ready';
  if (sync.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True')) return 'Degraded';
  switch (ready.reason) {
    case 'PruneHeld':
      return 'PruneHeld';
    case 'Progressing':
    case 'DependencyNotReady':
      return 'Progressing';
    default:
      return 'Degraded';
  }
}

/** Reason and message to show for an app: the Ready condition's, or why there is none. */
export function reasonOf(sync: AppSync): { readonly reason: string; readonly message: string } {
  const ready = readyCondition(sync);
  if (!ready) return { reason: 'NotReconciled', message: 'the agent has not reconciled this app yet' };
  return { reason: ready.reason, message: ready.message };
}

/** Sort key position of a state (0 = worst). */
export function severity(state: UiState): number {
  return STATES.indexOf(state);
}
