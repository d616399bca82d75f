import { SynthopsError } from '../model/errors';

/** Publishing, rolling back or bumping an image failed; nothing was pushed. */
export class PublishError extends SynthopsError {}

/** Why a publish after a rollback was refused: how the source commit relates to the one rolled back from. */
export type AfterRollbackReason = 'same' | 'older' | 'diverged' | 'unknown';

/**
 * The tip of the deploy branch is a rollback, and the source commit is not newer than
 * what the rollback replaced: publishing it would silently undo the rollback.
 */
export class RolledBackError extends PublishError {
  constructor(
    message: string,
    /** The rollback commit at the tip. */
    public readonly rollback: string,
    /** The newest source commit the rollback rolled back from. */
    public readonly rolledBackSource: string,
    public readonly reason: AfterRollbackReason,
  ) {
    super(message);
  }
}
