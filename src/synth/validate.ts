import { imagePinProblem } from '../author/image-ref';
import { Manifest, describeObject, identityKey, refOf } from '../model/manifest';
import { ScopeResolver } from './scope';
import { encryptedIdentity, isSopsDocument, plainSecretValues, sopsRecipients } from '../model/sops';
import { CreationRule, SOPS_CONFIG_FILE, ruleFor } from './sops-rules';

/** The rules synth enforces before anything is written. */
export type ValidationRule =
  | 'module-error'
  | 'app-error'
  | 'invalid-app'
  | 'unknown-environment'
  | 'unknown-image-pin'
  | 'invalid-image-pin'
  | 'missing-identity'
  | 'duplicate-object'
  | 'invalid-name'
  | 'missing-namespace'
  | 'image-not-pinned'
  | 'missing-limits'
  /** A Secret with values in plain text (or half-encrypted) in a production environment. */
  | 'unencrypted-secret'
  /** A SOPS document encrypted for other age recipients than its `.sops.yaml` rule names. */
  | 'sops-recipients';

/** One validation error: what is wrong, and where (environment, app, object, field). */
export interface ValidationIssue {
  readonly rule: ValidationRule;
  /** Environment, when the error is about one. @default - none: not about one environment */
  readonly env?: string;
  /** App name, when the error is about one. @default - none: not about one app */
  readonly app?: string;
  /** Source file of the app or module. @default - none: not about one file */
  readonly source?: string;
  /** `Kind namespace/name` of the object, when the error is about one. @default - none: not about one object */
  readonly object?: string;
  /** Dotted path of the offending field, e.g. `spec.template.spec.containers[0].image`. @default - none: not about one field */
  readonly field?: string;
  readonly message: string;
}

/** One line per issue: `error[rule] env/app (source) Kind ns/name field: message`. */
export function formatIssue(i: ValidationIssue): string {
  const where = [
    i.env && i.app ? `${i.env}/${i.app}` : (i.app ?? i.env),
    i.source ? `(${i.source})` : undefined,
    i.object,
    i.field ? `${i.field}:` : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return `error[${i.rule}] ${where}${where.endsWith(':') ? '' : ':'} ${i.message}`;
}

/** An object as validation sees it. */
export interface CheckedObject {
  readonly env: string;
  readonly app: string;
  readonly source: string;
  readonly production: boolean;
  readonly manifest: Manifest;
  /** The SOPS file it was taken in from, relative to the repo root. @default - none: the app's source file is the file `.sops.yaml` rules are matched with */
  readonly sopsFile?: string;
  /** The app or environment allows plain Secrets in production (`allowUnencryptedSecrets`). @default false */
  readonly allowUnencryptedSecrets?: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Kinds whose names must be DNS labels (they become DNS names or label values).
const LABEL_NAMED_KINDS = new Set(['/Namespace', '/Service']);
// RBAC names are path segments: anything but "/" and "%", and not "." or "..".
const PATH_SEGMENT_NAMED_GROUPS = new Set(['rbac.authorization.k8s.io']);

/** Why `name` is not a valid name for this kind, or undefined. */
export function nameProblem(apiVersion: string, kind: string, name: string): string | undefined {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (PATH_SEGMENT_NAMED_GROUPS.has(group)) {
    return name === '.' || name === '..' || /[/%]/.test(name) || name.length === 0
      ? `"${name}" is not a valid ${kind} name (must not be "." or ".." or contain "/" or "%")`
      : undefined;
  }
  if (LABEL_NAMED_KINDS.has(`${group}/${kind}`)) {
    return DNS_LABEL.test(name) && name.length <= 63
      ? undefined
      : `"${name}" is not a valid DNS label (at most 63 lowercase letters, digits and "-", starting and ending alphanumeric)`;
  }
  return DNS_SUBDOMAIN.test(name) && name.length <= 253
    ? undefined
    : `"${name}" is not a valid DNS subdomain (at most 253 lowercase letters, digits, "-" and ".", starting and ending alphanumeric)`;
}

/** Where the Pod spec sits inside a workload, by kind. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

interface Container {
  readonly name?: string;
  readonly image?: unknown;
  readonly resources?: { readonly limits?: Record<string, unknown> };
}

function podContainers(m: Manifest): Array<{ field: string; container: Container }> {
  const specPath = POD_SPEC_PATHS[m.kind];
  if (!specPath) return [];
  let spec: unknown = m;
  for (const p of specPath) spec = (spec as Record<string, unknown> | undefined)?.[p];
  if (typeof spec !== 'object' || spec === null) return [];
  const out: Array<{ field: string; container: Container }> = [];
  for (const list of ['initContainers', 'containers']) {
    const containers = (spec as Record<string, unknown>)[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c: Container, i) => {
      out.push({ field: `${specPath.join('.')}.${list}[${i}]`, container: c });
    });
  }
  return out;
}

/** Key of an image used by an app in an environment, for {@link validateObjects}' `reportedImages`. */
export function imageKey(env: string, app: string, image: string): string {
  return `${env}\u0000${app}\u0000${image}`;
}

function isSecret(m: Manifest): boolean {
  return m.apiVersion === 'v1' && m.kind === 'Secret';
}

/**
 * Secrets and SOPS documents: in production every Secret that holds values must be
 * encrypted whole (unless allowed); a SOPS document anywhere must be encrypted whole
 * and for exactly the age recipients of the `.sops.yaml` rule that applies to its file.
 * Messages name fields, never values.
 */
function secretIssues(
  o: CheckedObject,
  object: string,
  sopsRules: readonly CreationRule[] | undefined,
): ValidationIssue[] {
  const m = o.manifest;
  const base = { env: o.env, app: o.app, source: o.source, object };
  const issues: ValidationIssue[] = [];
  if (!isSopsDocument(m)) {
    const holdsValues = m.data !== undefined || m.stringData !== undefined;
    if (isSecret(m) && holdsValues && o.production && !o.allowUnencryptedSecrets) {
      issues.push({
        ...base,
        rule: 'unencrypted-secret',
        message:
          'a Secret in a production environment must be committed SOPS-encrypted (SopsSecret, synthops secret encrypt); set allowUnencryptedSecrets for the app or environment to allow it',
      });
    }
    return issues;
  }
  const file = o.sopsFile ?? o.source;
  const plain = [
    ...encryptedIdentity(m).map((f) => `${f} (must stay in clear)`),
    ...plainSecretValues(m).map((f) => `${f} (not encrypted)`),
  ];
  if (plain.length > 0)
    issues.push({
      ...base,
      rule: 'unencrypted-secret',
      field: plain.join(', '),
      message: `${file} is not encrypted as a whole: encrypt only data and stringData, and all of them (encrypted_regex: ^(data|stringData)$), with synthops secret encrypt`,
    });
  const rule = sopsRules ? ruleFor(sopsRules, file) : undefined;
  if (sopsRules && !rule) {
    issues.push({
      ...base,
      rule: 'sops-recipients',
      message: `no creation rule of ${SOPS_CONFIG_FILE} applies to ${file}`,
    });
  } else if (rule) {
    const have = [...new Set(sopsRecipients(m))].sort();
    const want = [...new Set(rule.age)].sort();
    if (have.join(',') !== want.join(',')) {
      const missing = want.filter((r) => !have.includes(r));
      const extra = have.filter((r) => !want.includes(r));
      const detail = [
        missing.length ? `not encrypted for ${missing.join(', ')}` : '',
        extra.length ? `encrypted for ${extra.join(', ')}, which the rule does not name` : '',
      ]
        .filter(Boolean)
        .join('; ');
      issues.push({
        ...base,
        rule: 'sops-recipients',
        field: 'sops.age',
        message: `${file}: ${detail} (creation_rules[${rule.index}] of ${SOPS_CONFIG_FILE}); run sops updatekeys ${file}`,
      });
    }
  }
  return issues;
}

/**
 * Checks every rendered object of one synth: identity, names, namespaces, duplicate
 * identities per environment, image pins, limits in production environments, and
 * Secrets (encrypted in production; SOPS documents whole, for their rule's recipients).
 * Images in `reportedImages` (see {@link imageKey}) were already reported where they
 * come from (the pins file) and are not reported again per container.
 */
export function validateObjects(
  objects: readonly CheckedObject[],
  scopes: ScopeResolver,
  reportedImages: ReadonlySet<string> = new Set(),
  sopsRules?: readonly CreationRule[],
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, CheckedObject>();
  for (const o of objects) {
    const m = o.manifest;
    const base = { env: o.env, app: o.app, source: o.source };
    const missing = (['apiVersion', 'kind'] as const).filter((f) => typeof m[f] !== 'string' || m[f] === '');
    if (typeof m.metadata?.name !== 'string' || m.metadata.name === '') missing.push('metadata.name' as never);
    if (missing.length > 0) {
      issues.push({
        ...base,
        rule: 'missing-identity',
        object: `${m.kind ?? '?'} ${m.metadata?.name ?? '?'}`,
        field: missing.join(', '),
        message: 'required for every object',
      });
      continue;
    }
    const ref = refOf(m);
    const object = describeObject(ref);

    const key = `${o.env}|${identityKey(ref)}`;
    const first = seen.get(key);
    if (first) {
      issues.push({
        ...base,
        rule: 'duplicate-object',
        object,
        message: `also defined by app "${first.app}" (${first.source}) in environment ${o.env}; each object must have one owner`,
      });
    } else {
      seen.set(key, o);
    }

    const np = nameProblem(m.apiVersion, m.kind, m.metadata.name);
    if (np) issues.push({ ...base, rule: 'invalid-name', object, field: 'metadata.name', message: np });

    const clusterScoped = scopes.isClusterScoped(m.apiVersion, m.kind);
    const ns = m.metadata.namespace;
    if (!clusterScoped && (ns === undefined || ns === '')) {
      const hint = isSopsDocument(m)
        ? 'set it in the file before encrypting (a SOPS document is taken in unchanged)'
        : 'the Application sets one unless a patch removed it';
      issues.push({
        ...base,
        rule: 'missing-namespace',
        object,
        field: 'metadata.namespace',
        message: `${m.kind} is namespaced; set a namespace (${hint})`,
      });
    } else if (ns !== undefined && !(DNS_LABEL.test(ns) && ns.length <= 63)) {
      issues.push({
        ...base,
        rule: 'invalid-name',
        object,
        field: 'metadata.namespace',
        message: `"${ns}" is not a valid DNS label`,
      });
    }

    issues.push(...secretIssues(o, object, sopsRules));

    for (const { field, container } of podContainers(m)) {
      const image = typeof container.image === 'string' ? container.image : '';
      const pinProblem = image ? imagePinProblem(image) : 'no image set';
      if (pinProblem && !reportedImages.has(imageKey(o.env, o.app, image)))
        issues.push({ ...base, rule: 'image-not-pinned', object, field: `${field}.image`, message: pinProblem });
      if (o.production) {
        const limits = container.resources?.limits ?? {};
        const absent = ['cpu', 'memory'].filter((r) => limits[r] === undefined || limits[r] === null);
        if (absent.length > 0) {
          issues.push({
            ...base,
            rule: 'missing-limits',
            object,
            field: `${field}.resources.limits`,
            message: `container "${container.name ?? '?'}" has no ${absent.join(' and ')} limit; production environments require CPU and memory limits`,
          });
        }
      }
    }
  }
  return issues;
}
