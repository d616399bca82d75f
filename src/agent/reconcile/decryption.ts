import { KubeClient } from '../../kube/client';
import { Manifest } from '../../model/manifest';
import { DecryptError, decryptSops, isSopsEncrypted, sopsRecipients } from '../../render/sops';

/** Where the agent finds its age identities: a Secret in its own namespace. */
export interface DecryptionOptions {
  /** Name of the Secret; every key ending in `.agekey` holds age identities (Flux's convention). */
  readonly secretName: string;
  /** Its namespace. @default - the agent's namespace */
  readonly namespace?: string;
}

/** Decrypts the SOPS documents of a revision, reading the identities once per reconcile. */
export class Decryptor {
  private identities?: Promise<string>;

  constructor(
    private readonly client: KubeClient,
    private readonly secret: { readonly name: string; readonly namespace: string } | undefined,
  ) {}

  private load(): Promise<string> {
    this.identities ??= (async () => {
      if (!this.secret) throw new DecryptError('no-key', 'the revision holds SOPS-encrypted objects and the agent has no decryption key (--decryption-secret)');
      const where = `Secret ${this.secret.namespace}/${this.secret.name}`;
      const s = await this.client.getOrUndefined<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.secret.namespace}/secrets/${this.secret.name}`);
      if (!s) throw new DecryptError('no-key', `the decryption key ${where} does not exist`);
      const keys = Object.entries(s.data ?? {}).filter(([k]) => k.endsWith('.agekey'));
      if (keys.length === 0) throw new DecryptError('no-key', `the decryption key ${where} has no *.agekey entry`);
      return keys.map(([, v]) => Buffer.from(v, 'base64').toString('utf8').trim()).join('\n');
    })();
    return this.identities;
  }

  /** The object itself, or its plaintext when it is a SOPS document. Plaintext stays in memory. */
  public async decrypt(m: Manifest): Promise<Manifest> {
    if (!isSopsEncrypted(m)) return m;
    const ids = await this.load();
    try {
      return decryptSops(m, ids);
    } catch (e) {
      if (e instanceof DecryptError && e.failure === 'no-key') {
        throw new DecryptError('no-key', `encrypted for ${sopsRecipients(m).join(', ') || 'no age recipient'}, and no key in Secret ${this.secret?.namespace}/${this.secret?.name} opens it`);
      }
      throw e;
    }
  }
}
