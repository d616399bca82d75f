/**
 * Kubeconfig loading for KubeClient: the API server, TLS material and credentials of
 * one context, as https request options.
 *
 * Our own instead of @kubernetes/client-node's KubeConfig because loading that package
 * costs ~65 MiB RSS and half a second of start for a few dozen lines of logic. It is
 * still used, required lazily, for users with `exec` or `auth-provider` credentials
 * (cloud login plugins), which are not worth re-implementing.
 *
 * The default chain is client-node's loadFromDefault: KUBECONFIG (a path list), else
 * ~/.kube/config, else the in-cluster ServiceAccount. Multiple KUBECONFIG files merge
 * as kubectl merges them: the first file that defines a name (or current-context) wins.
 */
import * as fs from 'fs';
import type * as https from 'https';
import * as net from 'net';
import * as path from 'path';
import * as YAML from 'yaml';
import type * as k8s from '@kubernetes/client-node';
import { KubeconfigError } from './errors';

/** Where a pod's ServiceAccount token, CA and namespace are mounted. */
export const SERVICE_ACCOUNT_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The kubeconfig fields this loader understands (the YAML shape, for building one in code). */
export interface KubeconfigDocument {
  /** Context used unless another is given. @default - none: a context must be given */
  readonly 'current-context'?: string;
  /** Named clusters. @default - none */
  readonly clusters?: ReadonlyArray<{ readonly name: string; readonly cluster: KubeconfigCluster }>;
  /** Named users. @default - none */
  readonly users?: ReadonlyArray<{ readonly name: string; readonly user: KubeconfigUser }>;
  /** Named contexts. @default - none */
  readonly contexts?: ReadonlyArray<{ readonly name: string; readonly context: KubeconfigContext }>;
}

export interface KubeconfigCluster {
  readonly server: string;
  /** CA file (PEM), relative to the kubeconfig's folder. @default - Node's trusted CAs */
  readonly 'certificate-authority'?: string;
  /** Base64 PEM; wins over `certificate-authority` (as in kubectl). @default - the `certificate-authority` file */
  readonly 'certificate-authority-data'?: string;
  /** Skip verifying the server's certificate. @default false */
  readonly 'insecure-skip-tls-verify'?: boolean;
  /** Name the server's certificate is checked against. @default - the host of the server URL */
  readonly 'tls-server-name'?: string;
}

export interface KubeconfigUser {
  /** Bearer token; `tokenFile` wins over it. @default - none */
  readonly token?: string;
  /** Re-read on every credential refresh, so rotated tokens are picked up. @default - none */
  readonly tokenFile?: string;
  /** Client certificate file (PEM), with `client-key`. @default - none */
  readonly 'client-certificate'?: string;
  /** Base64 PEM; wins over `client-certificate`. @default - the `client-certificate` file */
  readonly 'client-certificate-data'?: string;
  /** Client key file (PEM). @default - none */
  readonly 'client-key'?: string;
  /** Base64 PEM; wins over `client-key`. @default - the `client-key` file */
  readonly 'client-key-data'?: string;
  /** Basic auth user, used when there is no token. @default - none */
  readonly username?: string;
  /** Basic auth password. @default '' */
  readonly password?: string;
  /** Impersonated user name. @default - none: no impersonation */
  readonly as?: string;
  /** Handled by @kubernetes/client-node, loaded only for such users. @default - none */
  readonly exec?: unknown;
  /** Auth provider config, handled like `exec`. @default - none */
  readonly 'auth-provider'?: unknown;
}

export interface KubeconfigContext {
  readonly cluster: string;
  /** User of the context. @default - none: requests carry no credentials */
  readonly user?: string;
  /** Namespace of the context. @default - none */
  readonly namespace?: string;
}

export interface KubeconfigOptions {
  /** Context to use instead of the config's current-context. @default - the config's current-context */
  readonly context?: string;
  /** Environment to read KUBECONFIG, HOME and KUBERNETES_SERVICE_HOST/PORT from; default process.env. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** ServiceAccount folder for the in-cluster config; default {@link SERVICE_ACCOUNT_ROOT}. @default '/var/run/secrets/kubernetes.io/serviceaccount' */
  readonly inClusterRoot?: string;
}

/** The TLS and authentication part of https request options, as KubeClient spreads them into each request. */
export type AuthOptions = Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'> & {
  headers: Record<string, string>;
};

/** One context of a kubeconfig, resolved: where the API server is and how to talk to it. */
export interface ClusterAccess {
  /** API server URL, without a trailing slash. */
  readonly server: string;
  /** The context's namespace (in-cluster: the pod's), if set. @default - none */
  readonly namespace?: string;
  /** What it was loaded from, for messages: `kubeconfig <file> (context "x")` or `in-cluster config <dir>`. */
  readonly source: string;
  /** TLS and auth options for requests. Reads credential files anew on each call; callers cache. */
  requestOptions(): Promise<AuthOptions>;
}

/** Loads `file`, or the default chain (KUBECONFIG, ~/.kube/config, in-cluster) when none is given. */
export function loadKubeconfig(file?: string, opts: KubeconfigOptions = {}): ClusterAccess {
  return file ? loadKubeconfigFiles([file], opts) : loadDefaultKubeconfig(opts);
}

/** The default chain, in client-node's loadFromDefault order. */
export function loadDefaultKubeconfig(opts: KubeconfigOptions = {}): ClusterAccess {
  const env = opts.env ?? process.env;
  const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  // As kubectl: files of the list that do not exist are skipped.
  const files = listed.filter((f) => fs.existsSync(f));
  if (listed.length > 0 && files.length === 0)
    throw new KubeconfigError('kubeconfig', `none of the KUBECONFIG files exist: ${listed.join(path.delimiter)}`);
  if (files.length > 0) return loadKubeconfigFiles(files, opts);
  const home = env.HOME ? path.join(env.HOME, '.kube', 'config') : undefined;
  if (home && fs.existsSync(home)) return loadKubeconfigFiles([home], opts);
  const root = opts.inClusterRoot ?? SERVICE_ACCOUNT_ROOT;
  if (fs.existsSync(path.join(root, 'token'))) return loadInCluster(opts);
  // client-node would fall back to http://localhost:8080 here, which then fails on the first request.
  throw new KubeconfigError(
    'kubeconfig',
    `none found: KUBECONFIG is not set, ${home ? `${home} does not exist` : 'HOME is not set'}, and ${path.join(root, 'token')} does not exist (not in a pod)`,
  );
}

/** Loads and merges kubeconfig files (a KUBECONFIG list): the first definition of each name wins. */
export function loadKubeconfigFiles(files: readonly string[], opts: KubeconfigOptions = {}): ClusterAccess {
  return fromDocuments(
    files.map((f) => {
      const file = path.resolve(f);
      const src = `kubeconfig ${file}`;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new KubeconfigError(src, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      let doc: unknown;
      try {
        doc = YAML.parse(text);
      } catch (e) {
        // First line only: the rest quotes the file, which may hold a token.
        throw new KubeconfigError(src, `malformed YAML: ${(e as Error).message.split('\n')[0]}`);
      }
      return { src, dir: path.dirname(file), doc };
    }),
    opts,
  );
}

/** A kubeconfig built in code; relative paths resolve against `dir` (default: the working directory). */
export function kubeconfigFromObject(
  doc: KubeconfigDocument,
  opts: KubeconfigOptions & { readonly dir?: string } = {},
): ClusterAccess {
  return fromDocuments([{ src: 'kubeconfig (in memory)', dir: path.resolve(opts.dir ?? '.'), doc }], opts);
}

/** The pod's ServiceAccount: token (re-read on refresh, projected tokens rotate), CA and namespace files. */
export function loadInCluster(opts: KubeconfigOptions = {}): ClusterAccess {
  const env = opts.env ?? process.env;
  const root = path.resolve(opts.inClusterRoot ?? SERVICE_ACCOUNT_ROOT);
  const src = `in-cluster config ${root}`;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new KubeconfigError(
      src,
      'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (they are in every pod)',
    );
  // Same scheme rule as client-node's loadFromCluster.
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const server = `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try {
    namespace = fs.readFileSync(path.join(root, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    /* optional, as in client-node */
  }
  const doc: KubeconfigDocument = {
    'current-context': 'in-cluster',
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'in-cluster', user: { tokenFile: 'token' } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster', namespace } }],
  };
  return fromDocuments([{ src, dir: root, doc }], opts);
}

// ---------------------------------------------------------------------------

/** PEM material: a file (absolute path) or base64 data. */
type Material = { readonly file: string } | { readonly data: string };

interface Cluster {
  readonly server: string;
  readonly ca?: Material;
  readonly insecure: boolean;
  readonly tlsServerName?: string;
  /** Set fields synthops cannot honour; refused if this cluster is the one used. */
  readonly unsupported: readonly string[];
}

interface User {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly cert?: Material;
  readonly key?: Material;
  readonly username?: string;
  readonly password?: string;
  readonly as?: string;
  readonly exec?: unknown;
  readonly authProvider?: unknown;
  /** Set fields synthops cannot honour; refused if this user is the one used. */
  readonly unsupported: readonly string[];
}

interface Context {
  readonly cluster: string;
  readonly user?: string;
  readonly namespace?: string;
}

/** A named entry and the file that defined it (for messages). */
interface Entry<T> {
  readonly name: string;
  readonly src: string;
  readonly value: T;
}

interface Merged {
  currentContext?: { readonly name: string; readonly src: string };
  readonly clusters: Map<string, Entry<Cluster>>;
  readonly users: Map<string, Entry<User>>;
  readonly contexts: Map<string, Entry<Context>>;
}

interface SourceDoc {
  readonly src: string;
  readonly dir: string;
  readonly doc: unknown;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed reads of one map of a kubeconfig, with errors naming the file and the entry. */
class Fields {
  constructor(
    private readonly m: Record<string, unknown>,
    private readonly src: string,
    private readonly where: string,
    private readonly dir: string,
  ) {}

  public fail(message: string): never {
    throw new KubeconfigError(this.src, `${this.where}: ${message}`);
  }

  public str(key: string): string | undefined {
    const v = this.m[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') this.fail(`${key} must be a string`);
    return v;
  }

  public bool(key: string): boolean {
    const v = this.m[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.fail(`${key} must be true or false`);
    return v;
  }

  /** A file path; relative ones are relative to the kubeconfig's folder (as in kubectl). */
  public file(key: string): string | undefined {
    const v = this.str(key);
    return v === undefined ? undefined : path.resolve(this.dir, v);
  }

  /** `<key>-data` wins over `<key>` (the file), as in kubectl. */
  public material(key: string): Material | undefined {
    const data = this.str(`${key}-data`);
    if (data !== undefined) return { data };
    const file = this.file(key);
    return file === undefined ? undefined : { file };
  }

  /** Which of `keys` are set. */
  public present(keys: readonly string[]): string[] {
    return keys.filter((k) => this.raw(k) !== undefined);
  }

  public raw(key: string): unknown {
    const v = this.m[key];
    return v === null ? undefined : v;
  }
}

/** Reads `clusters`, `users` or `contexts` of one document into `into`, keeping earlier definitions. */
function readList<T>(
  doc: Record<string, unknown>,
  d: SourceDoc,
  list: string,
  item: string,
  into: Map<string, Entry<T>>,
  parse: (f: Fields) => T,
): void {
  const entries = doc[list];
  if (entries === undefined || entries === null) return;
  if (!Array.isArray(entries)) throw new KubeconfigError(d.src, `${list} must be a list`);
  entries.forEach((e: unknown, i) => {
    if (!isMap(e) || typeof e.name !== 'string' || !e.name)
      throw new KubeconfigError(d.src, `${list}[${i}] has no name`);
    const where = `${item} "${e.name}"`;
    const body = e[item] ?? (item === 'user' ? {} : undefined);
    if (!isMap(body)) throw new KubeconfigError(d.src, `${where}: ${item} must be a map`);
    const value = parse(new Fields(body, d.src, where, d.dir));
    if (!into.has(e.name)) into.set(e.name, { name: e.name, src: d.src, value });
  });
}

function merge(docs: readonly SourceDoc[]): Merged {
  const m: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const d of docs) {
    if (d.doc === undefined || d.doc === null) continue; // an empty file is an empty config
    if (!isMap(d.doc)) throw new KubeconfigError(d.src, 'not a kubeconfig (expected a map)');
    const top = new Fields(d.doc, d.src, 'top level', d.dir);
    const current = top.str('current-context');
    if (current && !m.currentContext) m.currentContext = { name: current, src: d.src };
    readList(d.doc, d, 'clusters', 'cluster', m.clusters, (f) => ({
      server: (f.str('server') ?? f.fail('server is missing')).replace(/\/$/, ''),
      ca: f.material('certificate-authority'),
      insecure: f.bool('insecure-skip-tls-verify'),
      tlsServerName: f.str('tls-server-name'),
      unsupported: f.present(['proxy-url']),
    }));
    readList(d.doc, d, 'users', 'user', m.users, (f) => ({
      token: f.str('token'),
      // `token-file` is what client-node reads; kubectl's field is `tokenFile`.
      tokenFile: f.file('tokenFile') ?? f.file('token-file'),
      cert: f.material('client-certificate'),
      key: f.material('client-key'),
      username: f.str('username'),
      password: f.str('password'),
      as: f.str('as'),
      exec: f.raw('exec'),
      authProvider: f.raw('auth-provider'),
      unsupported: f.present(['as-groups', 'as-uid', 'as-user-extra']),
    }));
    readList(d.doc, d, 'contexts', 'context', m.contexts, (f) => ({
      cluster: f.str('cluster') ?? f.fail('cluster is missing'),
      user: f.str('user'),
      namespace: f.str('namespace'),
    }));
  }
  return m;
}

function fromDocuments(docs: readonly SourceDoc[], opts: KubeconfigOptions): ClusterAccess {
  const m = merge(docs);
  const all =
    docs.length === 1
      ? docs[0].src
      : `kubeconfig ${docs.map((d) => d.src.replace(/^kubeconfig /, '')).join(path.delimiter)}`;
  const inAny = docs.length > 1 ? ` in any of the ${docs.length} files` : '';
  const contextName = opts.context ?? m.currentContext?.name;
  if (!contextName) throw new KubeconfigError(all, 'no current-context is set and no context was given');
  const context = m.contexts.get(contextName);
  if (!context)
    throw new KubeconfigError(
      opts.context ? all : m.currentContext!.src,
      `context "${contextName}" is not defined${inAny}`,
    );
  const cluster = m.clusters.get(context.value.cluster);
  if (!cluster)
    throw new KubeconfigError(
      context.src,
      `context "${contextName}" names cluster "${context.value.cluster}" that is not defined${inAny}`,
    );
  let user: Entry<User> | undefined;
  if (context.value.user) {
    user = m.users.get(context.value.user);
    if (!user)
      throw new KubeconfigError(
        context.src,
        `context "${contextName}" names user "${context.value.user}" that is not defined${inAny}`,
      );
  }
  let server: URL;
  try {
    server = new URL(cluster.value.server);
  } catch {
    throw new KubeconfigError(cluster.src, `cluster "${cluster.name}": server "${cluster.value.server}" is not a URL`);
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:')
    throw new KubeconfigError(
      cluster.src,
      `cluster "${cluster.name}": server "${cluster.value.server}" is not http(s)`,
    );
  // Refused rather than ignored: without the proxy the agent would reach some other
  // network path, and without the groups it would act as someone else.
  if (cluster.value.unsupported.length > 0) {
    throw new KubeconfigError(
      cluster.src,
      `cluster "${cluster.name}": ${cluster.value.unsupported.join(', ')} is not supported by synthops; give it a context that reaches the API server directly`,
    );
  }
  if (user && user.value.unsupported.length > 0) {
    throw new KubeconfigError(
      user.src,
      `user "${user.name}": ${user.value.unsupported.join(', ')} is not supported by synthops (impersonation with groups, uid or extra); use a user with the rights it needs, or "as" alone`,
    );
  }

  let requestOptions: () => Promise<AuthOptions>;
  if (user && (user.value.exec !== undefined || user.value.authProvider !== undefined)) {
    requestOptions = viaClientNode(cluster, user);
  } else {
    const read = () => nativeOptions(cluster, user);
    read(); // fail at load, not at the first request, when a file is missing or unreadable
    requestOptions = async () => read();
  }
  const source = docs[0].src.startsWith('in-cluster') ? docs[0].src : `${all} (context "${contextName}")`;
  return { server: cluster.value.server, namespace: context.value.namespace, source, requestOptions };
}

function readMaterial(m: Material | undefined, src: string, what: string): Buffer | undefined {
  if (!m) return undefined;
  if ('data' in m) return Buffer.from(m.data, 'base64');
  try {
    return fs.readFileSync(m.file);
  } catch (e) {
    throw new KubeconfigError(
      src,
      `${what} ${m.file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

function nativeOptions(cluster: Entry<Cluster>, user: Entry<User> | undefined): AuthOptions {
  const c = cluster.value;
  const o: AuthOptions = { headers: {} };
  // Only set when asked, so NODE_TLS_REJECT_UNAUTHORIZED keeps working (as with client-node).
  if (c.insecure && c.ca)
    throw new KubeconfigError(
      cluster.src,
      `cluster "${cluster.name}": certificate-authority and insecure-skip-tls-verify together are not allowed (as with kubectl)`,
    );
  if (c.insecure) o.rejectUnauthorized = false;
  if (c.tlsServerName) o.servername = c.tlsServerName;
  const ca = readMaterial(c.ca, cluster.src, `cluster "${cluster.name}": certificate-authority`);
  if (ca) o.ca = ca;
  if (!user) return o;
  const u = user.value;
  const where = `user "${user.name}"`;
  const cert = readMaterial(u.cert, user.src, `${where}: client-certificate`);
  const key = readMaterial(u.key, user.src, `${where}: client-key`);
  if (Boolean(cert) !== Boolean(key))
    throw new KubeconfigError(user.src, `${where}: client-certificate and client-key must be set together`);
  if (cert) o.cert = cert;
  if (key) o.key = key;
  // The file wins over an inline token, as in client-go: it is the one that rotates.
  const token = u.tokenFile
    ? readMaterial({ file: u.tokenFile }, user.src, `${where}: tokenFile`)!.toString('utf8').trim()
    : u.token;
  if (token) o.headers.Authorization = `Bearer ${token}`;
  else if (u.username !== undefined)
    o.headers.Authorization = `Basic ${Buffer.from(`${u.username}:${u.password ?? ''}`).toString('base64')}`;
  if (u.as) o.headers['Impersonate-User'] = u.as;
  return o;
}

/**
 * Credentials from an exec plugin or auth provider, through client-node's KubeConfig
 * (which runs and caches them). The package is required here, on first use, so the
 * common cases never load it.
 */
function viaClientNode(cluster: Entry<Cluster>, user: Entry<User>): () => Promise<AuthOptions> {
  let kc: k8s.KubeConfig | undefined;
  return async () => {
    if (!kc) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { KubeConfig } = require('@kubernetes/client-node') as typeof import('@kubernetes/client-node');
      const c = cluster.value;
      const u = user.value;
      const file = (m?: Material) => (m && 'file' in m ? m.file : undefined);
      const data = (m?: Material) => (m && 'data' in m ? m.data : undefined);
      const token = u.tokenFile
        ? readMaterial({ file: u.tokenFile }, user.src, `user "${user.name}": tokenFile`)!.toString('utf8').trim()
        : u.token;
      const clusterOpts: k8s.Cluster = {
        name: cluster.name,
        server: c.server,
        caFile: file(c.ca),
        caData: data(c.ca),
        skipTLSVerify: c.insecure,
        tlsServerName: c.tlsServerName,
      };
      const userOpts: k8s.User = {
        name: user.name,
        exec: u.exec,
        authProvider: u.authProvider,
        token,
        username: u.username,
        password: u.password,
        impersonateUser: u.as,
        certFile: file(u.cert),
        certData: data(u.cert),
        keyFile: file(u.key),
        keyData: data(u.key),
      };
      const next = new KubeConfig();
      next.loadFromOptions({
        clusters: [clusterOpts],
        users: [userOpts],
        contexts: [{ name: 'synthops', cluster: cluster.name, user: user.name }],
        currentContext: 'synthops',
      });
      kc = next;
    }
    const o: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(o);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {}))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    if (o.auth && !headers.Authorization) headers.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    // The agent client-node made is dropped: KubeClient brings its own connection pool.
    return {
      ca: o.ca,
      cert: o.cert,
      key: o.key,
      rejectUnauthorized: o.rejectUnauthorized,
      servername: o.servername,
      headers,
    };
  };
}
