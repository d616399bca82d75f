import { SynthopsError } from '../model/errors';

/** Publishing, rolling back or bumping an image failed; nothing was pushed. */
export class PublishError extends SynthopsError {}
