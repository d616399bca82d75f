import { createHash } from 'crypto';

/** Hex sha256 of text or bytes: the one content hash of synth output, caches and checks. */
export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
