import {
  GITSOURCE_API_VERSION,
  GITSOURCE_CRD,
  GITSOURCE_KIND,
  GITSOURCE_PLURAL,
  GITSOURCE_SECRET_KEYS,
  GitSource,
  GitSourceStatus,
} from '../../model/gitsource';
import { STATUS_FIELD_MANAGER } from '../../model/keys';
import { KubeClient } from '../../kube/client';
import { ensureCrd } from './crd';

/** What a GitSource's credentials Secret holds (values never logged). */
export interface SourceCredentials {
  /** Key `token`. @default - none */
  readonly token?: string;
  /** Key `identity`. @default - none */
  readonly sshKey?: string;
  /** Key `known_hosts`. @default - none */
  readonly knownHosts?: string;
  /** Changes whenever the Secret does: a new one restarts the source. @default - none */
  readonly resourceVersion?: string;
}

/** Reads GitSources, their credentials Secrets, and writes their status, in the agent's namespace. */
export class GitSourceStore {
  constructor(
    private readonly client: KubeClient,
    public readonly namespace: string,
  ) {}

  private base(): string {
    return `/apis/${GITSOURCE_API_VERSION}/namespaces/${this.namespace}/${GITSOURCE_PLURAL}`;
  }

  /** Installs (or updates) the GitSource CRD and waits until it is Established. */
  public async ensureCrd(timeoutMs = 30_000): Promise<void> {
    await ensureCrd(this.client, GITSOURCE_CRD, timeoutMs);
  }

  /** Every GitSource of the namespace; throws what the apiserver answers (404 while the CRD is missing, 403 without the right). */
  public async list(): Promise<GitSource[]> {
    return (await this.client.request<{ items: GitSource[] }>('GET', this.base())).items;
  }

  /** Writes the status of a GitSource (server-side apply on the status subresource, as the agent's status manager). */
  public async writeStatus(name: string, status: GitSourceStatus): Promise<void> {
    await this.client.apply(
      `${this.base()}/${name}/status`,
      {
        apiVersion: GITSOURCE_API_VERSION,
        kind: GITSOURCE_KIND,
        metadata: { name, namespace: this.namespace },
        status,
      },
      { fieldManager: STATUS_FIELD_MANAGER },
    );
  }

  /** The credentials in Secret `name`, or undefined when there is no such Secret. */
  public async credentials(name: string): Promise<SourceCredentials | undefined> {
    const s = await this.client.getOrUndefined<{
      metadata: { resourceVersion?: string };
      data?: Record<string, string>;
    }>(`/api/v1/namespaces/${this.namespace}/secrets/${name}`);
    if (!s) return undefined;
    const get = (key: string) => {
      const v = s.data?.[key];
      return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
    };
    return {
      token: get(GITSOURCE_SECRET_KEYS.token)?.trim() || undefined,
      sshKey: get(GITSOURCE_SECRET_KEYS.sshKey),
      knownHosts: get(GITSOURCE_SECRET_KEYS.knownHosts),
      resourceVersion: s.metadata.resourceVersion,
    };
  }
}
