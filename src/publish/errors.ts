import { SynthopsError } from '../errors';

/** Publishing, rolling back or bumping an image failed; nothing was pushed. */
export class PublishError extends SynthopsError {}
