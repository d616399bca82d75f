import { FIELD_MANAGER } from '../model/keys';
import { Manifest, ObjectRef, refOf } from '../model/manifest';
import { Discovery } from './discovery';
import { KubeClient } from './client';
import { KubeApiError } from './errors';

function isConflictAlreadyExists(e: unknown): boolean {
  return e instanceof KubeApiError && e.status === 409 && e.reason === 'AlreadyExists';
}

/** Reads and writes single objects: server-side apply (real or dry-run), get, list, delete. */
export class ObjectClient {
  constructor(
    public readonly client: KubeClient,
    public readonly discovery: Discovery,
  ) {}

  private async path(ref: ObjectRef): Promise<string> {
    const info = await this.discovery.resolve(ref.apiVersion, ref.kind);
    return Discovery.objectPath(ref.apiVersion, info, ref.name, info.namespaced ? ref.namespace : undefined);
  }

  /** True if the kind is namespaced (through discovery). */
  public async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.discovery.resolve(apiVersion, kind)).namespaced;
  }

  /** Server-side apply as field manager `synthops`, taking over conflicting fields. */
  public async apply(m: Manifest, dryRun = false): Promise<Manifest> {
    return (
      await this.client.apply<Manifest>(await this.path(refOf(m)), m, {
        fieldManager: FIELD_MANAGER,
        fieldValidation: 'Strict',
        dryRun,
      })
    ).body;
  }

  /** Server-side apply (real), telling whether it created the object. */
  public async applyReporting(m: Manifest): Promise<{ object: Manifest; created: boolean }> {
    const { status, body } = await this.client.apply<Manifest>(await this.path(refOf(m)), m, {
      fieldManager: FIELD_MANAGER,
      fieldValidation: 'Strict',
    });
    return { object: body, created: status === 201 };
  }

  /** The live object, or undefined if it does not exist. */
  public async get(ref: ObjectRef): Promise<Manifest | undefined> {
    return this.client.getOrUndefined<Manifest>(await this.path(ref));
  }

  /** Objects of a kind (in one namespace, or cluster-wide for cluster-scoped kinds) matching a label selector. */
  public async list(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<Manifest[]> {
    const info = await this.discovery.resolve(apiVersion, kind);
    const list = await this.client.request<{ items: Manifest[] }>(
      'GET',
      Discovery.collectionPath(apiVersion, info, info.namespaced ? namespace : undefined),
      { query: { labelSelector } },
    );
    // List items carry no apiVersion/kind of their own.
    return list.items.map((i) => ({ ...i, apiVersion, kind }));
  }

  /** Deletes an object (background propagation unless told otherwise); true if it existed. */
  public async delete(ref: ObjectRef, propagationPolicy: 'Background' | 'Foreground' = 'Background'): Promise<boolean> {
    return this.client.deleteIfExists(await this.path(ref), {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
    });
  }

  /**
   * Server-side dry-run of creating `m` as a new object: resolves when the server
   * would accept it, rejects with its refusal. The apiserver validates a create before
   * it looks for the name, so an AlreadyExists answer means the object is valid.
   */
  public async validateAsNew(m: Manifest): Promise<void> {
    const info = await this.discovery.resolve(m.apiVersion, m.kind);
    const path = Discovery.collectionPath(m.apiVersion, info, info.namespaced ? m.metadata.namespace : undefined);
    try {
      await this.client.request('POST', path, {
        body: m,
        query: { dryRun: 'All', fieldValidation: 'Strict', fieldManager: FIELD_MANAGER },
      });
    } catch (e) {
      if (!isConflictAlreadyExists(e)) throw e;
    }
  }
}
