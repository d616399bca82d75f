import { AppSync, StatusStore } from '../agent/state/status-store';
import { SOURCE_LABEL, SUSPEND_ANNOTATION } from '../model/keys';
import { UsageError } from '../model/errors';
import { byteOrder } from '../model/manifest';

/** Which AppSyncs an operator command is about. */
export interface AppSelection {
  /** App name. @default - every app */
  readonly app?: string;
  /** `--env`. @default - every environment */
  readonly env?: string;
  /** `--source`: only the AppSyncs this source owns (its `synthops.dev/source` label). @default - every source */
  readonly source?: string;
}

/**
 * The AppSyncs of the agent's namespace that `sel` picks, by name. An app that names
 * nothing is a usage error listing what there is; with `one`, an app in several
 * environments must be narrowed down with `--env`.
 */
export async function selectAppSyncs(store: StatusStore, sel: AppSelection, one = false): Promise<AppSync[]> {
  const all = (await store.list()).sort((a, b) => byteOrder(a.metadata.name, b.metadata.name));
  const picked = all.filter(
    (s) =>
      (!sel.env || s.spec.env === sel.env) &&
      (!sel.source || s.metadata.labels?.[SOURCE_LABEL] === sel.source) &&
      (!sel.app || s.spec.app === sel.app),
  );
  if (sel.app && picked.length === 0) {
    const known = [...new Set(all.map((s) => (sel.env ? s.spec.app : `${s.spec.app} (${s.spec.env})`)))];
    const where = [sel.env && `env ${sel.env}`, sel.source && `source ${sel.source}`].filter(Boolean).join(', ');
    throw new UsageError(
      `no app "${sel.app}" in namespace ${store.namespace}${where ? ` (${where})` : ''}; known: ${known.join(', ') || 'none'}`,
    );
  }
  if (one && picked.length > 1) {
    throw new UsageError(
      `app "${sel.app}" is in several environments (${picked.map((s) => s.spec.env).join(', ')}); pick one with --env`,
    );
  }
  return picked;
}

/** `env/app`, how the commands name an AppSync to people. */
export function appLabel(s: AppSync): string {
  return `${s.spec.env}/${s.spec.app}`;
}

/** Whether the app's writes are suspended, however it was asked for (spec.suspend or the annotation). */
export function isSuspended(s: AppSync): boolean {
  return Boolean(s.spec.suspend) || s.metadata.annotations?.[SUSPEND_ANNOTATION] === 'true';
}
