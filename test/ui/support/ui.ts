/** Starts `synthops ui` in-process for a test, and the identities and network faults the tests need. */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { TestContext } from 'node:test';
import * as YAML from 'yaml';
import { KubeClient } from '../../../src/kube/client';
import { UiServer } from '../../../src/ui/server';
import { startUi } from '../../../src/cli/ui';
import { testKubeconfig } from '../../harness/cluster';

/** A running UI server. */
export interface TestUi {
  readonly server: UiServer;
  /** The UI's own API client (its request counts show what pages cost the API server). */
  readonly client: KubeClient;
  /** Base URL, ending in `/`. */
  readonly url: string;
}

/** Options of {@link startTestUi}. */
export interface TestUiOptions {
  readonly namespace: string;
  /** Kubeconfig of the user the UI reads as. @default the admin kubeconfig of the test cluster */
  readonly kubeconfig?: string;
  /** @default undefined: no deploy repo */
  readonly repo?: string;
  /** @default undefined */
  readonly branch?: string;
}

/** Starts the UI on a free port of 127.0.0.1, as `synthops ui --port 0` does; stopped when the test ends. */
export async function startTestUi(t: TestContext, o: TestUiOptions): Promise<TestUi> {
  const ui = await startUi({
    port: '0',
    kubeconfig: o.kubeconfig ?? (await testKubeconfig()),
    agentNamespace: o.namespace,
    repo: o.repo,
    branch: o.branch,
    path: '.',
  });
  t.after(() => ui.close());
  return { server: ui.server, client: ui.client, url: ui.server.url };
}

function tempFile(t: TestContext, name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthops-ui-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

interface KubeconfigDoc {
  clusters: Array<{ name: string; cluster: Record<string, unknown> }>;
  users: Array<{ name: string; user: Record<string, unknown> }>;
  contexts: Array<{ name: string; context: Record<string, unknown> }>;
  'current-context': string;
}

/** The admin kubeconfig with `change` applied, written to a temporary file. */
async function derivedKubeconfig(t: TestContext, change: (doc: KubeconfigDoc) => void): Promise<string> {
  const doc = YAML.parse(fs.readFileSync(await testKubeconfig(), 'utf8')) as KubeconfigDoc;
  change(doc);
  return tempFile(t, 'kubeconfig', YAML.stringify(doc));
}

/**
 * A kubeconfig of a new ServiceAccount with no permissions at all: its token comes
 * from the TokenRequest API, the cluster entry from the admin kubeconfig.
 */
export async function powerlessKubeconfig(
  t: TestContext,
  admin: KubeClient,
  namespace: string,
  name: string,
): Promise<string> {
  await admin.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
  });
  const tr = await admin.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    },
  );
  return derivedKubeconfig(t, (doc) => {
    doc.users = [{ name, user: { token: tr.status.token } }];
    doc.contexts = [{ name, context: { cluster: doc.clusters[0].name, user: name } }];
    doc['current-context'] = name;
  });
}

/**
 * A TCP proxy on 127.0.0.1 in front of the API server (TLS passes through), that a
 * test can take away and bring back on the same port: an unreachable API server
 * without stopping the shared one.
 */
export class ApiProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly target: URL,
    public port: number,
  ) {}

  /** Starts the proxy in front of the server of the admin kubeconfig; stopped when the test ends. */
  public static async start(t: TestContext): Promise<{ proxy: ApiProxy; kubeconfig: string }> {
    const doc = YAML.parse(fs.readFileSync(await testKubeconfig(), 'utf8')) as KubeconfigDoc;
    const target = new URL(String(doc.clusters[0].cluster.server));
    const proxy = new ApiProxy(target, 0);
    await proxy.resume();
    t.after(() => proxy.stop());
    const kubeconfig = await derivedKubeconfig(t, (d) => {
      d.clusters[0].cluster.server = `https://127.0.0.1:${proxy.port}`;
    });
    return { proxy, kubeconfig };
  }

  /** Listens (again) on its port. */
  public async resume(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Refuses new connections and cuts the open ones, as a dead API server would. */
  public async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
