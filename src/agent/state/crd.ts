import { isDeepStrictEqual } from 'util';
import { BOOTSTRAP_FIELD_MANAGER, FIELD_MANAGER } from '../../model/keys';
import { Manifest } from '../../model/manifest';
import { KubeClient } from '../../kube/client';

/**
 * Installs (or updates) one of the agent's own CRDs and waits until it is Established.
 * A CRD already there is written only when its spec lacks something of this version's
 * (a server-side dry-run tells), and then under a manager of its own: it is often
 * applied from Git too (AgentInstall), and applying this copy as synthops would drop
 * the labels Git gave it, which the drift watch would see as a deletion to repair.
 */
export async function ensureCrd(client: KubeClient, crd: Manifest, timeoutMs = 30_000): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`;
  const live = await client.getOrUndefined<Manifest>(path);
  if (!live) await client.apply(path, crd, { fieldManager: FIELD_MANAGER });
  else {
    const dry = await client.apply<Manifest>(path, crd, { fieldManager: BOOTSTRAP_FIELD_MANAGER, dryRun: true });
    if (!isDeepStrictEqual(dry.body.spec, live.spec))
      await client.apply(path, crd, { fieldManager: BOOTSTRAP_FIELD_MANAGER });
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await client.request<Manifest>('GET', path);
    const conditions = (got.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions;
    if (conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} not Established after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
