import { isConflict } from '../../kube/errors';
import { KubeClient } from '../../kube/client';
import { Logger } from './log';

/** Lease timing, in seconds. */
export interface LeaseTiming {
  /** How long a leader's claim lasts without renewal; a standby takes over after it. @default 15 */
  readonly durationSeconds: number;
  /** How often the leader renews. @default 5 */
  readonly renewSeconds: number;
  /** How often a standby tries to acquire. @default 2 */
  readonly retrySeconds: number;
}

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

function microTime(d = new Date()): string {
  return d.toISOString().replace('Z', '000Z');
}

/**
 * Leader election on a coordination.k8s.io Lease, so that of several agent replicas
 * exactly one writes. Updates are optimistic (resourceVersion), so two candidates
 * can never both win. A leader that cannot renew within the lease duration steps
 * down on its own before anyone else may take over.
 */
export class LeaderElector {
  private leading = false;
  private timer?: NodeJS.Timeout;
  private lastRenew = 0;
  private stopped = false;
  /** Why the last acquire-or-renew attempt failed (not a lost race: an outage). @default - none: the last attempt got an answer */
  public lastError?: string;
  /** Who held the lease at the last look. @default - none: not looked yet, or nobody */
  public holder?: string;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
    public readonly identity: string,
    private readonly timing: LeaseTiming,
    private readonly log: Logger,
    private readonly onChange: (leading: boolean) => void,
  ) {}

  /** True while this instance holds the lease (and renewed it recently enough). */
  public isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenew < this.timing.durationSeconds * 1000;
  }

  private path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases/${this.name}`;
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.log.info(
      { identity: this.identity, lease: `${this.namespace}/${this.name}` },
      v ? 'became leader' : 'lost leadership',
    );
    this.onChange(v);
  }

  /** One acquire-or-renew attempt. */
  public async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.client.getOrUndefined<Lease>(this.path());
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.timing.durationSeconds,
      renewTime: microTime(now),
    };
    if (!lease) {
      await this.client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.name, namespace: this.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        },
      });
      return true;
    }
    const holder = lease.spec.holderIdentity;
    this.holder = holder || undefined;
    const renewed = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : 0;
    const expired =
      !holder || renewed + (lease.spec.leaseDurationSeconds ?? this.timing.durationSeconds) * 1000 < now.getTime();
    if (holder !== this.identity && !expired) return false;
    const transitions = (lease.spec.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1);
    await this.client.request('PUT', this.path(), {
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: lease.metadata,
        spec: {
          ...lease.spec,
          ...spec,
          acquireTime: holder === this.identity ? lease.spec.acquireTime : microTime(now),
          leaseTransitions: transitions,
        },
      },
    });
    return true;
  }

  /** Starts campaigning; `onChange` is called when leadership is gained or lost. */
  public start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        const ok = await this.tryAcquireOrRenew();
        this.lastError = undefined;
        if (ok) {
          this.lastRenew = Date.now();
          this.holder = this.identity;
        }
        this.setLeading(ok);
      } catch (e) {
        // A conflict means someone else updated the lease first; anything else is an outage.
        this.lastError = isConflict(e) ? undefined : (e as Error).message;
        if (!isConflict(e)) this.log.warn({ err: (e as Error).message }, 'lease update failed');
        if (!this.isLeader()) this.setLeading(false);
      }
      if (this.stopped) return;
      this.timer = setTimeout(loop, (this.leading ? this.timing.renewSeconds : this.timing.retrySeconds) * 1000);
    };
    void loop();
  }

  /** Stops campaigning and, if leading, releases the lease so a standby takes over at once. */
  public async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    try {
      const lease = await this.client.request<Lease>('GET', this.path());
      if (lease.spec.holderIdentity === this.identity) {
        await this.client.request('PUT', this.path(), {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: lease.metadata,
            spec: { ...lease.spec, holderIdentity: '', renewTime: microTime(new Date(0)) },
          },
        });
      }
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not release the lease');
    }
    this.setLeading(false);
  }
}
