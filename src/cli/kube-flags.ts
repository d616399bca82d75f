import { KubeClient } from '../kube/client';
import { loadKubeconfig } from '../kube/kubeconfig';
import { UsageError } from '../model/errors';

/** The cluster flags of a command (see cluster-options.ts). */
export interface ClusterFlags {
  /** `--kubeconfig`. @default - KUBECONFIG, else ~/.kube/config, else in-cluster */
  readonly kubeconfig?: string;
  /** `--context`. @default - the kubeconfig's current-context */
  readonly context?: string;
  /** `--as`: user to impersonate. @default - none: requests go as the kubeconfig's user */
  readonly as?: string;
  /** `--as-group`: groups to impersonate, with `--as`. @default - none */
  readonly asGroup?: readonly string[];
}

/** A client for the context the flags name, acting as `--as` when given. */
export function clusterClient(opts: ClusterFlags): KubeClient {
  if (opts.asGroup && opts.asGroup.length > 0 && !opts.as)
    throw new UsageError('--as-group needs --as (as with kubectl)');
  const client = new KubeClient(loadKubeconfig(opts.kubeconfig, { context: opts.context }));
  return opts.as ? client.impersonatingUser(opts.as, opts.asGroup) : client;
}

/**
 * Namespace of namespaced objects that name none, as kubectl picks it: the flag, else
 * the context's namespace (in a Pod: its own), else `default`.
 */
export function objectNamespace(flag: string | undefined, client: KubeClient): string {
  return flag ?? client.access.namespace ?? 'default';
}
