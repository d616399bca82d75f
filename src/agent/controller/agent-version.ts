import { AppSync, PLURAL, STATUS_API_VERSION, STATUS_KIND } from '../../model/appsync';
import { AGENT_VERSION_ANNOTATION } from '../../model/keys';
import { KubeClient } from '../../kube/client';
import { Logger } from './log';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../../package.json') as { version: string };

/** This agent's version, from its package. */
export const AGENT_VERSION = version;

/** Field manager of the version annotation (its own, so no other writer drops it). */
export const VERSION_FIELD_MANAGER = 'synthops-agent-version';

/**
 * Stamps {@link AGENT_VERSION_ANNOTATION} on the AppSyncs this agent wrote, where it is
 * missing or names another version: one write per AppSync per upgrade, none otherwise.
 * `synthops version` reads it, which works for an agent in a Deployment and for one
 * started by hand alike. Best effort: a failed stamp is tried again next cycle.
 */
export async function stampAgentVersion(
  client: KubeClient,
  namespace: string,
  syncs: Iterable<AppSync | undefined>,
  log: Logger,
): Promise<void> {
  for (const s of syncs) {
    if (!s || s.metadata.annotations?.[AGENT_VERSION_ANNOTATION] === AGENT_VERSION) continue;
    const body = {
      apiVersion: STATUS_API_VERSION,
      kind: STATUS_KIND,
      metadata: { name: s.metadata.name, namespace, annotations: { [AGENT_VERSION_ANNOTATION]: AGENT_VERSION } },
    };
    await client
      .apply(`/apis/${STATUS_API_VERSION}/namespaces/${namespace}/${PLURAL}/${s.metadata.name}`, body, {
        fieldManager: VERSION_FIELD_MANAGER,
      })
      .catch((e: Error) =>
        log.debug({ appSync: s.metadata.name, err: e.message }, 'stamping the agent version failed'),
      );
  }
}
