import { Manifest, ObjectRef, refOf } from '../../model/manifest';
import { encryptedDigest, isSopsDocument } from '../../model/sops';
import { DesiredApp, DesiredObject } from '../source/load';
import { errorMessage } from './change-set';

/** A SOPS document of an app that could not be decrypted. */
export interface DecryptProblem {
  readonly ref: ObjectRef;
  readonly origin: string;
  readonly message: string;
  readonly cause: unknown;
}

/**
 * The app with its SOPS documents decrypted, in memory, before anything else looks at
 * them: each decrypted object carries the digest of its encrypted form (what the agent
 * records on the live object, so `diff --cluster` needs no key). Any document that
 * cannot be decrypted is a problem, and the caller writes nothing of the app.
 */
export async function decryptApp(
  app: DesiredApp,
  decrypt: ((m: Manifest) => Promise<Manifest>) | undefined,
): Promise<{ app: DesiredApp; problems: DecryptProblem[] }> {
  if (!app.objects.some((o) => isSopsDocument(o.manifest))) return { app, problems: [] };
  const objects: DesiredObject[] = [];
  const problems: DecryptProblem[] = [];
  for (const o of app.objects) {
    if (!isSopsDocument(o.manifest)) {
      objects.push(o);
      continue;
    }
    try {
      if (!decrypt)
        throw new Error('SOPS-encrypted, and the agent has no decryption key (start it with --decryption-secret)');
      objects.push({ ...o, manifest: await decrypt(o.manifest), digest: encryptedDigest(o.manifest) });
    } catch (e) {
      problems.push({ ref: refOf(o.manifest), origin: o.origin, message: errorMessage(e), cause: e });
    }
  }
  return { app: { ...app, objects }, problems };
}
