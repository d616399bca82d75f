import { KubeClient } from '../../kube/client';
import { isNotFound } from '../../kube/errors';
import { Manifest } from '../../model/manifest';
import { isSopsDocument, sopsRecipients } from '../../model/sops';
import { DecryptError, decryptSops } from '../../render/sops';

/** Where the agent finds its age identities: a Secret in its own namespace. */
export interface DecryptionOptions {
  /** Name of the Secret; every key ending in `.agekey` holds age identities (Flux's convention). */
  readonly secretName: string;
  /** Its namespace. @default - the agent's namespace */
  readonly namespace?: string;
}

/**
 * Decrypts the SOPS documents of a revision, reading the identities once per
 * reconcile (and only when the revision has a SOPS document). Identities and
 * plaintext stay in memory; messages name the Secret, the recipients and the
 * reason, never a value.
 */
export class Decryptor {
  private identities?: Promise<string>;

  constructor(
    private readonly client: KubeClient,
    private readonly secret: { readonly name: string; readonly namespace: string } | undefined,
  ) {}

  private where(): string {
    return `Secret ${this.secret?.namespace}/${this.secret?.name}`;
  }

  private load(): Promise<string> {
    this.identities ??= (async () => {
      if (!this.secret)
        throw new DecryptError(
          'no-key',
          'SOPS-encrypted, and the agent has no decryption key (start it with --decryption-secret)',
        );
      let s: { data?: Record<string, string> } | undefined;
      try {
        s = await this.client.getOrUndefined<{ data?: Record<string, string> }>(
          `/api/v1/namespaces/${this.secret.namespace}/secrets/${this.secret.name}`,
        );
      } catch (e) {
        if (isNotFound(e)) s = undefined;
        else
          throw new DecryptError(
            'no-key',
            `the decryption key ${this.where()} cannot be read: ${(e as Error).message}`,
          );
      }
      if (!s) throw new DecryptError('no-key', `the decryption key ${this.where()} does not exist`);
      const keys = Object.entries(s.data ?? {}).filter(([k]) => k.endsWith('.agekey'));
      if (keys.length === 0)
        throw new DecryptError('no-key', `the decryption key ${this.where()} has no *.agekey entry`);
      return keys.map(([, v]) => Buffer.from(v, 'base64').toString('utf8').trim()).join('\n');
    })();
    return this.identities;
  }

  /** The object itself, or its plaintext when it is a SOPS document. */
  public async decrypt(m: Manifest): Promise<Manifest> {
    if (!isSopsDocument(m)) return m;
    const ids = await this.load();
    try {
      return await decryptSops(m, ids);
    } catch (e) {
      if (e instanceof DecryptError && e.failure === 'no-key') {
        const recipients = sopsRecipients(m);
        throw new DecryptError(
          'no-key',
          `encrypted for ${recipients.join(', ') || 'no age recipient'}, and no key in ${this.where()} opens it`,
        );
      }
      throw e;
    }
  }
}
