// Leader election on a coordination.k8s.io Lease, as client-go does it: the
// holder renews every retry period; a candidate takes the lease only when the
// holder's record has not changed for a whole lease duration, measured on the
// candidate's own clock (so clock skew between nodes does not matter). Every
// write is guarded by resourceVersion, so two candidates cannot both win.
import { isConflict, isNotFound } from "../kube/errors.ts";
import type { ObjectClient } from "../kube/objects.ts";
import { LEASES } from "../kube/resources.ts";
import type { KubeObject } from "../render/types.ts";
import type { Logger } from "./logger.ts";

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log: Logger;
}

interface Lease extends KubeObject {
  metadata: KubeObject["metadata"] & { resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

const microTime = (d = new Date()) => d.toISOString().replace("Z", "000Z");

export class LeaderElector {
  private readonly objects: ObjectClient;
  private readonly opts: Required<Omit<LeaderOptions, "log">> & { log: Logger };
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private observed?: { record: string; at: number };
  private lastRenew = 0;

  constructor(objects: ObjectClient, opts: LeaderOptions) {
    this.objects = objects;
    this.opts = {
      leaseDurationSeconds: 15,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...opts,
    };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.opts.retryPeriodMs);
  }

  private async tick(): Promise<void> {
    try {
      const ok = await this.tryAcquireOrRenew();
      if (ok) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.opts.log.info("became leader", {
            lease: `${this.opts.namespace}/${this.opts.name}`,
            identity: this.opts.identity,
          });
          this.opts.onStartedLeading();
        }
      } else if (this.leading) {
        this.lose("another instance holds the lease");
      }
    } catch (err) {
      this.opts.log.warn("lease update failed", { err });
      if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs)
        this.lose("could not renew the lease in time");
    }
    this.schedule();
  }

  private lose(why: string): void {
    this.leading = false;
    this.opts.log.warn("lost leadership", { why });
    this.opts.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = new Date();
    const current = await this.objects.find<Lease>(LEASES, namespace, name);
    if (!current) {
      try {
        await this.objects.create(
          {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds,
              acquireTime: microTime(now),
              renewTime: microTime(now),
              leaseTransitions: 0,
            },
          },
          "archctl-operator",
        );
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = current.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const holder = spec.holderIdentity ?? "";
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const expired = Date.now() - this.observed.at > duration;
    if (holder && holder !== identity && !expired) return false;

    const takingOver = holder !== identity;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder ? 1 : 0),
      },
    };
    try {
      // PUT carries metadata.resourceVersion: a concurrent writer makes this a 409.
      await this.objects.rest.request("PUT", this.objects.path(next), { body: next });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Stops campaigning; a leader releases the lease so a successor need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const current = await this.objects.find<Lease>(LEASES, this.opts.namespace, this.opts.name);
      if (current?.spec?.holderIdentity === this.opts.identity) {
        const released: Lease = {
          ...current,
          spec: {
            ...current.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(),
          },
        };
        await this.objects.rest.request("PUT", this.objects.path(released), { body: released });
        this.opts.log.info("released the lease");
      }
    } catch (err) {
      this.opts.log.warn("could not release the lease", { err });
    }
  }
}
