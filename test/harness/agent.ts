/** Runs the agent against the test cluster and builds deploy-branch trees for it. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import { KubeClient } from '../../src/kube/client';
import { AgentOnceOptions, AgentOnceResult, agentOnce } from '../../src/agent/reconcile/once';
import { ObjectClient } from '../../src/kube/objects';
import { Discovery } from '../../src/kube/discovery';
import { INDEX_API_VERSION, INDEX_FILE, SynthIndex, indexToJson } from '../../src/model/index-file';
import { fileNames } from '../../src/synth/layout';
import { Manifest, refOf } from '../../src/model/manifest';
import { isSopsDocument } from '../../src/model/sops';
import { toYaml } from '../../src/synth/serialize';
import { testKubeconfig } from './cluster';

/** A client of the test cluster, closed when the test ends. */
export async function testClient(t: TestContext): Promise<KubeClient> {
  const c = KubeClient.fromKubeconfig(await testKubeconfig());
  t.after(() => c.close());
  return c;
}

/** Object reads for assertions. */
export async function testObjects(t: TestContext): Promise<ObjectClient> {
  const c = await testClient(t);
  return new ObjectClient(c, new Discovery(c));
}

/** Options for one agent run in a test; the inventory lives in the test namespace. */
export type RunOptions = Partial<AgentOnceOptions> &
  Pick<AgentOnceOptions, 'repo' | 'branch'> & { readonly ns: string };

/** Runs one reconcile in-process, like `synthops agent --once` (with a client of its own unless given one). */
export async function runOnce(t: TestContext, o: RunOptions): Promise<AgentOnceResult> {
  const client = o.client ?? (await testClient(t));
  const workdir = o.workdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-agent-'));
  if (!o.workdir) t.after(() => fs.rmSync(workdir, { recursive: true, force: true }));
  return agentOnce({
    inventoryNamespace: o.ns,
    defaultNamespace: o.ns,
    wait: { timeoutMs: 60_000, pollMs: 200 },
    ...o,
    workdir,
    client,
  });
}

/** A deploy-branch tree in synthops layout (one environment), with a correct index.json. */
export function synthopsTree(
  env: string,
  apps: Record<string, Manifest[]>,
  dependsOn: Record<string, string[]> = {},
): Record<string, string> {
  const files: Record<string, string> = {};
  const index: SynthIndex = {
    apiVersion: INDEX_API_VERSION,
    kind: 'SynthIndex',
    environments: [env],
    apps: [],
    files: [],
  };
  const indexApps: SynthIndex['apps'][number][] = [];
  const indexFiles: SynthIndex['files'][number][] = [];
  for (const [app, manifests] of Object.entries(apps).sort()) {
    // As synth does: SOPS documents stay as they are (their MAC covers every value).
    const labelled = manifests.map((m) =>
      isSopsDocument(m)
        ? m
        : {
            ...m,
            metadata: {
              ...m.metadata,
              labels: { ...m.metadata.labels, 'synthops.dev/app': app, 'synthops.dev/env': env },
            },
          },
    );
    const names = fileNames(labelled);
    const objects = labelled.map((m, i) => {
      const file = `${env}/${app}/${names[i]}`;
      const content = toYaml(m);
      files[file] = content;
      indexFiles.push({ path: file, sha256: createHash('sha256').update(content).digest('hex') });
      return { ...refOf(m), file };
    });
    indexApps.push({
      env,
      app,
      namespace: '',
      source: `apps/${app}.ts`,
      ...(dependsOn[app] ? { dependsOn: dependsOn[app] } : {}),
      objects,
    });
  }
  files[INDEX_FILE] = indexToJson({ ...index, apps: indexApps, files: indexFiles });
  return files;
}

/** A ConfigMap manifest. */
export function configMap(
  name: string,
  ns: string,
  data: Record<string, string> = { k: 'v' },
  annotations?: Record<string, string>,
): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    data,
  };
}

/** A small Deployment manifest (the seed app's image). */
export function deployment(name: string, ns: string, replicas = 1): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'docker.io/kostiscodefresh/simple-web-app:3d9b390',
              ports: [{ containerPort: 8080 }],
            },
          ],
        },
      },
    },
  };
}

/** resourceVersion of each object (undefined when missing). */
export async function resourceVersions(
  objects: ObjectClient,
  manifests: readonly Manifest[],
): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const m of manifests)
    out[`${m.kind}/${m.metadata.name}`] = (await objects.get(refOf(m)))?.metadata.resourceVersion as string | undefined;
  return out;
}
