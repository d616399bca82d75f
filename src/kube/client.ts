import * as https from 'https';
import * as http from 'http';
import { KubeApiError, KubeClientClosedError, KubeUnreachableError, StatusDetails, isNotFound } from './errors';

/** Content type of a server-side apply patch. */
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Options of {@link KubeClient.apply}. */
export interface ApplyPatchOptions {
  /** Field manager of the apply. */
  readonly fieldManager: string;
  /** Server-side dry-run only. @default false */
  readonly dryRun?: boolean;
  /** Reject unknown or duplicate fields (`Strict`). @default - the server's default */
  readonly fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Take over fields other managers own. @default true */
  readonly force?: boolean;
}
import { AuthOptions, ClusterAccess, loadKubeconfig } from './kubeconfig';

/** Options of one request. */
export interface RequestOptions {
  /** Request body, sent as JSON. @default - none: no body is sent */
  readonly body?: unknown;
  /** Content-Type of the body. @default 'application/json' */
  readonly contentType?: string;
  /** Query parameters; undefined values are left out. @default - none */
  readonly query?: Readonly<Record<string, string | undefined>>;
}

/** One event of a watch stream. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: {
    metadata?: { resourceVersion?: string; [k: string]: unknown };
    code?: number;
    [k: string]: unknown;
  };
}

/** The request counts of a client, by verb; benchmarks and tests read them. */
export type RequestCounts = Record<string, number>;

// Credentials from the kubeconfig are re-read this often, so rotated in-cluster
// ServiceAccount tokens (and renewed certificates) are picked up.
const AUTH_TTL_MS = 60_000;
const RETRIES = 6;

/** Options of a {@link KubeClient}. */
export interface KubeClientOptions {
  /** How long credentials are reused before they are read again (rotated token files are picked up then). @default 60000 */
  readonly authTtlMs?: number;
}

/**
 * A small JSON client for the Kubernetes API over one keep-alive connection pool.
 * Authentication, TLS and the server come from a {@link ClusterAccess}
 * (kubeconfig file, or in-cluster ServiceAccount; see ./kubeconfig).
 */
export class KubeClient {
  /** Loads a kubeconfig file, or the default chain (KUBECONFIG, ~/.kube/config, in-cluster) when none is given. */
  public static fromKubeconfig(file?: string): KubeClient {
    return new KubeClient(loadKubeconfig(file));
  }

  public readonly server: URL;
  /** Extra headers of every request (impersonation). */
  private readonly extraHeaders: Record<string, string | string[]> = {};
  /** Requests sent, by HTTP method. */
  public readonly counts: RequestCounts = {};
  private readonly agent: https.Agent | http.Agent;
  private auth?: { options: Promise<AuthOptions>; at: number };
  /** Set by {@link shutdown}: no request is sent any more (impersonating clients read it through their prototype). */
  private ended = false;

  constructor(
    public readonly access: ClusterAccess,
    private readonly options: KubeClientOptions = {},
  ) {
    this.server = new URL(access.server);
    const Agent = this.server.protocol === 'http:' ? http.Agent : https.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 32 });
  }

  /**
   * A client that acts as the ServiceAccount `namespace/name` through impersonation:
   * the apiserver authorises every request as that account. Shares the connection pool.
   */
  public impersonating(serviceAccount: string): KubeClient {
    const [namespace, name] = serviceAccount.split('/');
    const c = Object.create(this) as KubeClient;
    Object.defineProperty(c, 'extraHeaders', {
      value: { 'Impersonate-User': `system:serviceaccount:${namespace}:${name}` },
    });
    Object.defineProperty(c, 'counts', { value: this.counts });
    return c;
  }

  /** The user this client acts as by impersonation (`system:serviceaccount:ns:name`). @default - none: its own identity */
  public get impersonatedUser(): string | undefined {
    const user = this.extraHeaders['Impersonate-User'];
    return Array.isArray(user) ? user[0] : user;
  }

  /**
   * A client that acts as `user` (and `groups`) through impersonation, as kubectl's
   * `--as` and `--as-group`: the apiserver authorises every request as them. Shares the
   * connection pool.
   */
  public impersonatingUser(user: string, groups: readonly string[] = []): KubeClient {
    const c = Object.create(this) as KubeClient;
    // An array is sent as one header line per group, as the apiserver expects.
    const headers: Record<string, string | string[]> = {
      'Impersonate-User': user,
      ...(groups.length > 0 ? { 'Impersonate-Group': [...groups] } : {}),
    };
    Object.defineProperty(c, 'extraHeaders', { value: headers });
    Object.defineProperty(c, 'counts', { value: this.counts });
    return c;
  }

  // The promise is cached, so concurrent first requests share one read (or one exec plugin run).
  private authOptions(): Promise<AuthOptions> {
    if (this.auth && Date.now() - this.auth.at < (this.options.authTtlMs ?? AUTH_TTL_MS)) return this.auth.options;
    const options = this.access.requestOptions();
    const entry = { options, at: Date.now() };
    this.auth = entry;
    options.catch(() => {
      if (this.auth === entry) this.auth = undefined;
    });
    return options;
  }

  /** The URL of an API path, under the server URL's own path (proxies such as Rancher serve the API below one). */
  private url(path: string): URL {
    return new URL(`${this.server.pathname.replace(/\/+$/, '')}${path}`, this.server.origin);
  }

  /**
   * Sends one request; resolves to the parsed JSON body, rejects with
   * {@link KubeApiError} on an error status. Answers that mean "try again shortly"
   * (429, 503, 504: throttling, or a CRD's storage still initialising right after it
   * became Established) and dropped connections are retried with backoff; every verb
   * the agent uses (GET, server-side apply PATCH, DELETE) is idempotent.
   */
  public async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.exchange<T>(method, path, opts)).body;
  }

  /** Server-side apply of `body` at `path`; resolves to the server's answer and its HTTP status (201: created). */
  public async apply<T = unknown>(
    path: string,
    body: unknown,
    o: ApplyPatchOptions,
  ): Promise<{ status: number; body: T }> {
    return this.exchange<T>('PATCH', path, {
      body,
      contentType: APPLY_PATCH,
      query: {
        fieldManager: o.fieldManager,
        force: o.force === false ? undefined : 'true',
        fieldValidation: o.fieldValidation,
        dryRun: o.dryRun ? 'All' : undefined,
      },
    });
  }

  /** GET that resolves to undefined on 404. */
  public async getOrUndefined<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path, opts);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** DELETE that resolves to false on 404 (already gone). */
  public async deleteIfExists(path: string, opts: RequestOptions = {}): Promise<boolean> {
    try {
      await this.request('DELETE', path, opts);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** Like {@link request}, with the HTTP status of the answer (201 tells a create from an update). */
  public async exchange<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, opts);
      } catch (e) {
        const transient =
          e instanceof KubeApiError
            ? [429, 503, 504].includes(e.status)
            : e instanceof KubeUnreachableError && e.dropped;
        if (!transient || attempt >= RETRIES) throw e;
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 2000)));
      }
    }
  }

  private async once<T>(method: string, path: string, opts: RequestOptions): Promise<{ status: number; body: T }> {
    if (this.ended) throw new KubeClientClosedError(`${method} ${path}`);
    const auth = await this.authOptions();
    const url = this.url(path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<{ status: number; body: T }>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          ...auth,
          method,
          agent: this.agent,
          headers: {
            ...auth.headers,
            ...this.extraHeaders,
            Accept: 'application/json',
            ...(payload
              ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': String(payload.length) }
              : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              resolve({ status, body: body as T });
              return;
            }
            const s = body as { reason?: string; message?: string; details?: StatusDetails } | undefined;
            reject(
              new KubeApiError(
                status,
                s?.reason ?? 'Unknown',
                s?.message ?? (text.trim() || `HTTP ${status}`),
                s?.details,
              ),
            );
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out after 30s'), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new KubeUnreachableError(this.server.origin, `${method} ${url.pathname}: ${e.message}`, e.code)),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }

  /**
   * Opens a watch (`?watch=1`) and calls `onEvent` for each event line. The returned
   * promise settles when the server ends the stream (normal after a few minutes) or it
   * fails; `abort()` ends it early. Watches use their own connection, never the pool.
   */
  public watch(
    path: string,
    query: Readonly<Record<string, string | undefined>>,
    onEvent: (e: WatchEvent) => void,
  ): { done: Promise<void>; abort: () => void } {
    let req: http.ClientRequest | undefined;
    let aborted = false;
    const done = (async () => {
      if (this.ended) throw new KubeClientClosedError(`WATCH ${path}`);
      const auth = await this.authOptions();
      const url = this.url(path);
      for (const [k, v] of Object.entries({ ...query, watch: '1' })) if (v !== undefined) url.searchParams.set(k, v);
      this.counts.WATCH = (this.counts.WATCH ?? 0) + 1;
      const lib = url.protocol === 'http:' ? http : https;
      await new Promise<void>((resolve, reject) => {
        if (aborted) return resolve();
        // agent: false: a watch holds its connection for minutes, so it gets its own, outside the pool.
        req = lib.request(
          url,
          {
            ...auth,
            method: 'GET',
            agent: false,
            headers: { ...auth.headers, ...this.extraHeaders, Accept: 'application/json' },
          },
          (res) => {
            if ((res.statusCode ?? 0) >= 300) {
              let text = '';
              res.on('data', (c) => {
                text += c;
              });
              res.on('end', () => {
                let reason = 'Unknown';
                let message = text;
                try {
                  const b = JSON.parse(text) as { reason?: string; message?: string };
                  reason = b.reason ?? reason;
                  message = b.message ?? message;
                } catch {
                  /* not JSON */
                }
                reject(new KubeApiError(res.statusCode ?? 0, reason, message));
              });
              return;
            }
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
                const line = buf.slice(0, nl).trim();
                buf = buf.slice(nl + 1);
                if (line) onEvent(JSON.parse(line) as WatchEvent);
              }
            });
            res.on('end', () => resolve());
            res.on('error', (e) => (aborted ? resolve() : reject(e)));
          },
        );
        req.on('error', (e) => (aborted ? resolve() : reject(e)));
        req.end();
      });
    })();
    return {
      done,
      abort: () => {
        aborted = true;
        req?.destroy();
      },
    };
  }

  /** Closes idle connections (lets the process exit promptly). */
  public close(): void {
    this.agent.destroy();
  }

  /**
   * Closes the client for good: its connections end and every later request fails with
   * {@link KubeClientClosedError} before anything is sent. Once a stopping agent says
   * "stopped", nothing it still runs can write.
   */
  public shutdown(): void {
    this.ended = true;
    this.close();
  }
}
