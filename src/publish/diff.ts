import { createTwoFilesPatch } from 'diff';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { Discovery } from '../kube/discovery';
import { InventoryStore } from '../agent/state/inventory';
import { applyEntry } from '../kube/live';
import { KubeClient } from '../kube/client';
import { ObjectClient } from '../kube/objects';
import { GitAuth } from '../git/client';
import { INDEX_FILE, SynthIndex } from '../model/index-file';
import { Manifest, byteOrder, describeObject, identityKey, refOf } from '../model/manifest';
import { Redactor, isSecret, maskSecretPair } from '../model/redact';
import { DIGEST_ANNOTATION } from '../model/keys';
import { encryptedDigest, isSopsDocument } from '../model/sops';
import { checkoutBranch } from './branch';
import { PublishError } from './errors';
import { project } from './project';

/** One object that differs. */
export interface ObjectDiff {
  readonly object: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Unified YAML diff (empty for added/removed without content). */
  readonly patch: string;
}

/** The differences of one app. */
export interface AppDiff {
  readonly env: string;
  readonly app: string;
  readonly objects: readonly ObjectDiff[];
}

interface Entry {
  readonly env: string;
  readonly app: string;
  readonly object: string;
  readonly text: string;
  /** A Secret: its values are masked in every patch. */
  readonly secret: boolean;
}

function entries(dir: string | undefined): Map<string, Entry> {
  const out = new Map<string, Entry>();
  if (!dir || !fs.existsSync(path.join(dir, INDEX_FILE))) return out;
  const index = JSON.parse(fs.readFileSync(path.join(dir, INDEX_FILE), 'utf8')) as SynthIndex;
  for (const a of index.apps) {
    for (const o of a.objects)
      out.set(`${a.env}|${a.app}|${identityKey(o)}`, {
        env: a.env,
        app: a.app,
        object: describeObject(o),
        text: fs.readFileSync(path.join(dir, o.file), 'utf8'),
        secret: isSecret(o),
      });
  }
  return out;
}

function patch(object: string, before: string, after: string): string {
  // Hunks only: the object is named on the line above, so the file header is noise.
  const lines = createTwoFilesPatch(`a/${object}`, `b/${object}`, before, after, '', '', { context: 3 }).split('\n');
  return lines
    .slice(
      Math.max(
        0,
        lines.findIndex((l) => l.startsWith('@@')),
      ),
    )
    .join('\n')
    .trimEnd();
}

/**
 * The two texts a patch compares; for a Secret, its values masked (a changed one shows
 * which side it is) and any other copy of them (an annotation) redacted.
 */
function shown(before: Entry | undefined, after: Entry | undefined): [string, string] {
  if (!before?.secret && !after?.secret) return [before?.text ?? '', after?.text ?? ''];
  const parse = (e: Entry | undefined) => (e ? (YAML.parse(e.text) as Manifest) : undefined);
  const [b, a] = [parse(before), parse(after)];
  const values = Redactor.of([b, a]);
  return maskSecretPair(b, a).map((m) => (m ? values.redact(YAML.stringify(m, { lineWidth: 0 })) : '')) as [
    string,
    string,
  ];
}

function group(diffs: Array<{ env: string; app: string } & ObjectDiff>): AppDiff[] {
  const byApp = new Map<string, AppDiff & { objects: ObjectDiff[] }>();
  for (const d of diffs) {
    const k = `${d.env}/${d.app}`;
    if (!byApp.has(k)) byApp.set(k, { env: d.env, app: d.app, objects: [] });
    byApp.get(k)!.objects.push({ object: d.object, change: d.change, patch: d.patch });
  }
  return [...byApp.values()].sort((a, b) => byteOrder(`${a.env}/${a.app}`, `${b.env}/${b.app}`));
}

/** Compares two synth output folders (`before` may be missing: everything is added). */
export function diffOutputs(before: string | undefined, after: string): AppDiff[] {
  const a = entries(before);
  const b = entries(after);
  const diffs: Array<{ env: string; app: string } & ObjectDiff> = [];
  for (const [k, e] of b) {
    const old = a.get(k);
    if (!old)
      diffs.push({
        env: e.env,
        app: e.app,
        object: e.object,
        change: 'added',
        patch: patch(e.object, ...shown(undefined, e)),
      });
    else if (old.text !== e.text)
      diffs.push({
        env: e.env,
        app: e.app,
        object: e.object,
        change: 'changed',
        patch: patch(e.object, ...shown(old, e)),
      });
  }
  for (const [k, e] of a)
    if (!b.has(k))
      diffs.push({
        env: e.env,
        app: e.app,
        object: e.object,
        change: 'removed',
        patch: patch(e.object, ...shown(e, undefined)),
      });
  return group(diffs);
}

/** Local output against the tip of the deploy branch. */
export async function diffAgainstBranch(
  dist: string,
  repo: string,
  branch: string,
  auth?: GitAuth,
): Promise<AppDiff[]> {
  const c = await checkoutBranch({ url: repo, branch, auth });
  try {
    return diffOutputs(c.tip ? c.dir : undefined, dist);
  } finally {
    c.dispose();
  }
}

/**
 * A SOPS document against the live object, without a key: the agent records the
 * digest of the encrypted document it applied, so equal digests mean the live object
 * came from this very file. Values are neither decrypted nor shown.
 */
function sopsChange(
  desired: Manifest,
  live: Manifest | undefined,
): { change: ObjectDiff['change']; patch: string } | undefined {
  if (!live) return { change: 'added', patch: '  (SOPS-encrypted: not decrypted, values not shown)' };
  const applied = (live.metadata.annotations as Record<string, string> | undefined)?.[DIGEST_ANNOTATION];
  if (applied === encryptedDigest(desired)) return undefined;
  return {
    change: 'changed',
    patch:
      '  (SOPS-encrypted: the live object was applied from another version of this file; values not compared or shown)',
  };
}

function owned(m: Manifest): unknown {
  const fields = applyEntry(m)?.fieldsV1;
  return fields ? project(m, fields) : {};
}

/**
 * Local output of one environment against the live cluster: each object is
 * server-side dry-run applied and compared with the live object, both reduced to
 * the fields synthops owns, so fields of other managers and defaults are no noise.
 * SOPS documents are compared by digest only (see {@link sopsChange}): diff runs where
 * there is no key. Objects in the app inventories that left the output are listed as
 * removed.
 */
export async function diffAgainstCluster(
  dist: string,
  env: string | undefined,
  client: KubeClient,
  agentNamespace: string,
): Promise<AppDiff[]> {
  const index = JSON.parse(fs.readFileSync(path.join(dist, INDEX_FILE), 'utf8')) as SynthIndex;
  const chosen = env ?? (index.environments.length === 1 ? index.environments[0] : undefined);
  if (!chosen)
    throw new PublishError(`the output has environments ${index.environments.join(', ')}; choose one with --env`);
  const objects = new ObjectClient(client, new Discovery(client));
  const diffs: Array<{ env: string; app: string } & ObjectDiff> = [];
  const present = new Set<string>();
  for (const a of index.apps.filter((x) => x.env === chosen)) {
    for (const o of a.objects) {
      const desired = YAML.parse(fs.readFileSync(path.join(dist, o.file), 'utf8')) as Manifest;
      const ref = refOf(desired);
      const object = describeObject(ref);
      present.add(identityKey(ref)); // synth output always names the namespace of namespaced kinds
      const live = await objects.get(ref);
      if (isSopsDocument(desired)) {
        const d = sopsChange(desired, live);
        if (d) diffs.push({ env: chosen, app: a.app, object, ...d });
        continue;
      }
      // A Secret's values (desired and live) are shown masked, never as they are.
      const values = Redactor.of([desired, live]);
      let dry: Manifest;
      try {
        dry = await objects.apply(desired, true);
      } catch (e) {
        diffs.push({
          env: chosen,
          app: a.app,
          object,
          change: live ? 'changed' : 'added',
          patch: `! server-side dry-run failed: ${values.redactAbout(ref, (e as Error).message)}`,
        });
        continue;
      }
      const [liveShown, dryShown] = maskSecretPair(live, dry);
      const after = values.redact(YAML.stringify(owned(dryShown!), { lineWidth: 0 }));
      if (!liveShown) diffs.push({ env: chosen, app: a.app, object, change: 'added', patch: patch(object, '', after) });
      else {
        const before = values.redact(
          YAML.stringify(
            owned({ ...liveShown, metadata: { ...liveShown.metadata, managedFields: dry.metadata.managedFields } }),
            { lineWidth: 0 },
          ),
        );
        if (before !== after)
          diffs.push({ env: chosen, app: a.app, object, change: 'changed', patch: patch(object, before, after) });
      }
    }
  }
  for (const inv of await new InventoryStore(client, agentNamespace).list(chosen)) {
    for (const r of inv.objects)
      if (!present.has(identityKey(r)))
        diffs.push({ env: chosen, app: inv.app, object: describeObject(r), change: 'removed', patch: '' });
  }
  return group(diffs);
}

/** Renders diffs; ANSI colours when `color`. */
export function formatDiff(diffs: readonly AppDiff[], color: boolean): string[] {
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const d of diffs) {
    lines.push(paint(1, `${d.env}/${d.app}:`));
    for (const o of d.objects) {
      const sign = o.change === 'added' ? '+' : o.change === 'removed' ? '-' : '~';
      lines.push(`  ${sign} ${o.object} (${o.change})`);
      for (const l of o.patch ? o.patch.split('\n') : []) {
        const c =
          l.startsWith('+') && !l.startsWith('+++')
            ? 32
            : l.startsWith('-') && !l.startsWith('---')
              ? 31
              : l.startsWith('@@')
                ? 36
                : 0;
        lines.push(`    ${c ? paint(c, l) : l}`);
      }
    }
  }
  lines.push(
    diffs.length === 0
      ? 'no differences'
      : `${diffs.reduce((n, d) => n + d.objects.length, 0)} object(s) differ in ${diffs.length} app(s)`,
  );
  return lines;
}
