import { SynthopsError } from '../../model/errors';
import { InventorySource } from '../../model/inventory';
import { describeSource } from '../../model/source';

/**
 * Two sources claim the same app in the same environment. Nothing of the app is
 * written, pruned or overwritten by the claimant; the owner is untouched.
 */
export class SourceConflictError extends SynthopsError {
  public readonly app: string;
  public readonly env: string;
  /** The source that owns the app's inventory or AppSync. */
  public readonly owner: InventorySource;
  /** The source that claims it too. */
  public readonly claimant: string;

  constructor(app: string, env: string, owner: InventorySource, claimant: string) {
    super(
      `app "${app}" (environment ${env}) belongs to source ${describeSource(owner)}, and source "${claimant}" claims it too: nothing of it was written or pruned. ` +
        `Rename the app in one of them; or, if ${JSON.stringify(owner.name)} no longer runs, run this one with --source ${owner.name}, ` +
        `or hand its records over: synthops inventory adopt --from ${owner.name} --source ${claimant} (or release them: synthops inventory release --source ${owner.name} --app ${app})`,
    );
    this.app = app;
    this.env = env;
    this.owner = owner;
    this.claimant = claimant;
  }
}

/** A record changed between its read and a conditional write (a concurrent writer): nothing was overwritten. */
export class RecordChangedError extends SynthopsError {
  /** `ConfigMap ns/name` or `AppSync ns/name`. */
  public readonly record: string;

  constructor(record: string) {
    super(
      `${record} was changed by someone else since it was read; nothing was overwritten (it is read again on the next try)`,
    );
    this.record = record;
  }
}
