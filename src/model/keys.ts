/**
 * The label, annotation and field-manager keys synthops writes. They are part of
 * the deploy contract between synth, publish and the agent: never rename them.
 */

/** Label naming the application an object belongs to. */
export const APP_LABEL = 'synthops.dev/app';

/** Label naming the environment an object was rendered for. */
export const ENV_LABEL = 'synthops.dev/env';

/** Annotation that keeps an object in the cluster when it leaves Git (`disabled`). */
export const PRUNE_ANNOTATION = 'synthops.dev/prune';

/** Value of {@link PRUNE_ANNOTATION} that disables pruning. */
export const PRUNE_DISABLED = 'disabled';

/** Field manager used for every server-side apply. */
export const FIELD_MANAGER = 'synthops';

/**
 * Annotation the agent stamps on every object it applies: the sha256 of the object as
 * applied (without this annotation). Written in the same request as the object, so it
 * always describes what synthops last applied there.
 */
export const DIGEST_ANNOTATION = 'synthops.dev/applied-digest';

/** Field manager of the AppSync status writes (apart from the objects' manager, so status never looks like drift). */
export const STATUS_FIELD_MANAGER = `${FIELD_MANAGER}-status`;

/** Field manager of what `synthops bootstrap` writes outside Git (the agent's namespace shell and its credentials Secret). */
export const BOOTSTRAP_FIELD_MANAGER = `${FIELD_MANAGER}-bootstrap`;

/** Annotation on an AppSync that suspends the app's writes (`"true"`), like `spec.suspend`. */
export const SUSPEND_ANNOTATION = 'synthops.dev/suspend';

/**
 * Annotation asking the agent to delete and recreate an object (`enabled`) when an
 * apply fails because an immutable field changed (a Job's `spec.template`, a
 * Deployment's selector), like Flux's `kustomize.toolkit.fluxcd.io/force`.
 */
export const FORCE_ANNOTATION = 'synthops.dev/force';

/** Value of {@link FORCE_ANNOTATION} that enables recreation. */
export const FORCE_ENABLED = 'enabled';

/** Label on inventory ConfigMaps (`"true"`); not the app label: they are not app objects. */
export const INVENTORY_LABEL = 'synthops.dev/inventory';

/** Label on inventory ConfigMaps naming their environment. */
export const INVENTORY_ENV_LABEL = 'synthops.dev/inventory-env';

/**
 * Label on inventory ConfigMaps and AppSyncs naming the source (repo, branch and
 * folder, or the name given with `--source`) that owns them. A source lists, prunes
 * and removes only what carries its own name.
 */
export const SOURCE_LABEL = 'synthops.dev/source';

/** Commit trailers of deploy commits. */
export const TRAILERS = {
  sourceCommit: 'Source-Commit',
  sourceRepo: 'Source-Repo',
  rollbackOf: 'Rollback-Of',
  rollbackTo: 'Rollback-To',
  /** On a rollback: the newest source commit it rolled back from (publish refuses to bring it, or older, back). */
  rollbackOfSource: 'Rollback-Of-Source',
  allowPrune: 'Allow-Prune',
  imagePrevious: 'Image-Previous',
} as const;
