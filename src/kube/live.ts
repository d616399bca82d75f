import { APP_LABEL, FIELD_MANAGER } from '../model/keys';
import { Manifest, ObjectRef, apiGroup, identityKey, refOf } from '../model/manifest';
import { mapLimit } from '../model/concurrency';
import { UnknownKindError, isForbidden } from './errors';
import { ObjectClient } from './objects';

/** A kind in a namespace: the unit the agent lists by. */
interface Collection {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
}

/** A list the apiserver refused (403): the identity may not read that kind there. */
export interface DeniedRead {
  readonly verb: 'list';
  readonly apiVersion: string;
  readonly kind: string;
  readonly group: string;
  /** Plural resource name (`configmaps`). */
  readonly resource: string;
  /** Namespace of the list. @default - none: cluster-wide */
  readonly namespace?: string;
  /** The account refused, when the client impersonates one. @default - none: the client's own identity */
  readonly user?: string;
  /** The apiserver's words. */
  readonly message: string;
}

/** One entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  /** Field manager that wrote the entry. @default - unknown (the server left it out) */
  readonly manager?: string;
  /** `Apply` or `Update`. @default - unknown (the server left it out) */
  readonly operation?: string;
  /** Subresource written (`status`, `scale`). @default - none: the object itself */
  readonly subresource?: string;
  /** Fields the manager owns, in the fieldsV1 format. @default - none: no fields known to be owned */
  readonly fieldsV1?: Readonly<Record<string, unknown>>;
}

/** synthops' own server-side apply entry on an object: the fields it owns. */
export function applyEntry(m: Manifest): ManagedFieldsEntry | undefined {
  return (m.metadata.managedFields as readonly ManagedFieldsEntry[] | undefined)?.find(
    (e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource,
  );
}

/**
 * The object with `metadata.managedFields` cut down to synthops' own apply entry (its
 * field set only): on a Deployment the write history is a third of the object, and
 * nothing the agent decides reads other managers' entries or the times.
 */
export function lean(m: Manifest): Manifest {
  if (!m.metadata.managedFields) return m;
  const ours = applyEntry(m);
  const metadata: Record<string, unknown> = { ...m.metadata };
  if (ours?.fieldsV1)
    metadata.managedFields = [{ manager: FIELD_MANAGER, operation: 'Apply', fieldsV1: ours.fieldsV1 }];
  else delete metadata.managedFields;
  return { ...m, metadata: metadata as Manifest['metadata'] };
}

/**
 * Live objects managed by synthops (those with the app label), fetched with one list
 * per kind and namespace instead of one GET per object.
 */
export class LiveState {
  private readonly byKey = new Map<string, Manifest>();
  /** Collections listed (or being listed) already: apps sharing a namespace list it once. */
  private readonly listed = new Map<string, Promise<void>>();
  /** Collections listed successfully: an object missing from them has no app label or does not exist. */
  private readonly complete = new Set<string>();
  /** Collections whose last list was refused. */
  private readonly denied = new Map<string, DeniedRead>();

  constructor(
    private readonly objects: ObjectClient,
    private readonly concurrency = 8,
  ) {}

  /** An empty state reading through the same client (and identity): for looks that must not see old lists. */
  public fresh(): LiveState {
    return new LiveState(this.objects, this.concurrency);
  }

  /**
   * Lists every collection the refs fall into. Without `force`, a collection listed
   * before in this state is not listed again (objects written since are known from
   * the write's answer); health polls force a fresh look.
   */
  public async refresh(refs: Iterable<ObjectRef>, force = false): Promise<void> {
    const collections = new Map<string, Collection>();
    for (const r of refs)
      collections.set(`${r.apiVersion}|${r.kind}|${r.namespace ?? ''}`, {
        apiVersion: r.apiVersion,
        kind: r.kind,
        namespace: r.namespace,
      });
    await mapLimit([...collections.entries()], this.concurrency, async ([key, c]) => {
      if (!force && this.listed.has(key)) return this.listed.get(key);
      const p = this.list(c).then((ok) => {
        if (ok) this.complete.add(key);
      });
      this.listed.set(key, p);
      return p;
    });
  }

  private async list(c: Collection): Promise<boolean> {
    const key = `${c.apiVersion}|${c.kind}|${c.namespace ?? ''}`;
    let items: Manifest[];
    try {
      items = await this.objects.list(c.apiVersion, c.kind, c.namespace, APP_LABEL);
    } catch (e) {
      if (e instanceof UnknownKindError) return false; // nothing of a kind the API does not serve
      // Not allowed to list here: nothing is known of these objects, which is not "absent".
      if (isForbidden(e)) {
        const info = await this.objects.discovery.resolve(c.apiVersion, c.kind);
        const user = this.objects.client.impersonatedUser;
        this.denied.set(key, {
          verb: 'list',
          apiVersion: c.apiVersion,
          kind: c.kind,
          group: apiGroup(c.apiVersion),
          resource: info.plural,
          ...(info.namespaced && c.namespace ? { namespace: c.namespace } : {}),
          ...(user ? { user } : {}),
          message: e.message,
        });
        return false;
      }
      throw e;
    }
    this.denied.delete(key);
    for (const m of items) this.byKey.set(identityKey(refOf(m)), lean(m));
    return true;
  }

  /** The refused lists among the collections of `refs` (after {@link refresh}). */
  public deniedFor(refs: Iterable<ObjectRef>): DeniedRead[] {
    const out = new Map<string, DeniedRead>();
    for (const r of refs) {
      const key = `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}`;
      const d = this.denied.get(key);
      if (d) out.set(key, d);
    }
    return [...out.values()];
  }

  /** Whether the object's kind and namespace were listed: then {@link get} knows every labelled object there. */
  public listedAll(ref: ObjectRef): boolean {
    return this.complete.has(`${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}`);
  }

  /** The live object, if it exists and carries the app label. */
  public get(ref: ObjectRef): Manifest | undefined {
    return this.byKey.get(identityKey(ref));
  }

  /** The object from the last lists, or read on its own when the lists did not have it (not labelled, or its kind may not be listed). */
  public async getOrFetch(ref: ObjectRef): Promise<Manifest | undefined> {
    const known = this.get(ref);
    if (known) return known;
    const m = await this.objects.get(ref).catch(() => undefined);
    if (m) this.set(ref, m);
    return m;
  }

  /** Replaces (or removes) what is known of one object. */
  public set(ref: ObjectRef, m: Manifest | undefined): void {
    if (m) this.byKey.set(identityKey(ref), lean(m));
    else this.byKey.delete(identityKey(ref));
  }
}
