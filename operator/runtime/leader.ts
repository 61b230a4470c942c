// Leader election on a coordination.k8s.io Lease, as client-go does it: the
// holder renews every retry period; a candidate takes the lease only when the
// holder's record has not changed for a whole lease duration, measured on the
// candidate's own clock (so clock skew between nodes does not matter). Every
// write is guarded by resourceVersion, so two candidates cannot both win.
//
// Safety of the holder: a candidate may take over one lease duration after it
// last saw the record change, so the holder must stop acting as leader before
// that. It does so at the renew deadline (shorter than the lease duration),
// measured from the start of its last successful renew, on a timer of its own:
// a renew request that hangs cannot keep it leading. A candidate's requests
// are bounded by the retry period; the holder's renew by its renew deadline.
import { isConflict, isNotFound } from "../kube/errors.ts";
import type { ObjectClient } from "../kube/objects.ts";
import { LEASES, resourcePath } from "../kube/resources.ts";
import type { Verb } from "../kube/rest.ts";
import type { KubeObject } from "../kube/types.ts";
import type { Logger } from "./logger.ts";

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /** Called when a lease this instance held is lost (not when stop() releases it). */
  onStoppedLeading: (why: string) => void;
  log: Logger;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
}

export interface Lease extends KubeObject {
  metadata: KubeObject["metadata"] & { resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

/** When this instance first saw the current lease record (holder, renewTime, duration). */
export interface Observed {
  record: string;
  at: number;
}

export type LeaseDecision =
  | { action: "create"; lease: Lease }
  | { action: "update"; lease: Lease; takingOver: boolean }
  | { action: "wait"; holder: string };

export const DEFAULT_TIMING = {
  leaseDurationSeconds: 15,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

const microTime = (ms: number) => new Date(ms).toISOString().replace("Z", "000Z");

/** The record a candidate times: it changes on every renew of the holder. */
export function observe(previous: Observed | undefined, current: Lease, now: number): Observed {
  const s = current.spec ?? {};
  const record = JSON.stringify([s.holderIdentity, s.renewTime, s.leaseDurationSeconds]);
  return previous?.record === record ? previous : { record, at: now };
}

/**
 * What a candidate (or the holder) does with the lease it just read. Pure: the
 * record's age comes from `observed`, taken on this instance's clock.
 */
export function decideLease(
  current: Lease | undefined,
  observed: Observed | undefined,
  me: { namespace: string; name: string; identity: string; leaseDurationSeconds: number },
  now: number,
): LeaseDecision {
  const { namespace, name, identity, leaseDurationSeconds } = me;
  if (!current) {
    return {
      action: "create",
      lease: {
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
    };
  }
  const spec = current.spec ?? {};
  const holder = spec.holderIdentity ?? "";
  const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  const expired = observed === undefined || now - observed.at > duration;
  if (holder && holder !== identity && !expired) return { action: "wait", holder };
  const takingOver = holder !== identity;
  return {
    action: "update",
    takingOver,
    lease: {
      ...current,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder ? 1 : 0),
      },
    },
  };
}

/** A holder whose last successful renew began at `renewedAt` may act as leader until the deadline. */
export function withinRenewDeadline(
  renewedAt: number,
  now: number,
  renewDeadlineMs: number,
): boolean {
  return now - renewedAt < renewDeadlineMs;
}

/** Refuses timings under which a holder could still act after a successor took over. */
export function checkTiming(t: typeof DEFAULT_TIMING): void {
  if (!(t.leaseDurationSeconds * 1000 > t.renewDeadlineMs))
    throw new Error(
      `leader election: the lease duration (${t.leaseDurationSeconds} s) must be longer than the renew deadline (${t.renewDeadlineMs} ms)`,
    );
  if (!(t.renewDeadlineMs > t.retryPeriodMs))
    throw new Error(
      `leader election: the renew deadline (${t.renewDeadlineMs} ms) must be longer than the retry period (${t.retryPeriodMs} ms)`,
    );
}

export class LeaderElector {
  private readonly objects: ObjectClient;
  private readonly opts: Required<Omit<LeaderOptions, "log" | "now">> & { log: Logger };
  private readonly now: () => number;
  private leading = false;
  private stopped = true;
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private attempt?: Promise<void>;
  private observed?: Observed;
  private renewedAt = 0;
  /** The lease as this instance last wrote it (the API server's answer), while leading. */
  private held?: Lease;

  constructor(objects: ObjectClient, opts: LeaderOptions) {
    this.objects = objects;
    const { now, ...rest } = opts;
    this.now = now ?? Date.now;
    this.opts = {
      ...DEFAULT_TIMING,
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    } as typeof this.opts;
    checkTiming(this.opts);
  }

  /**
   * True only while the lease is held and its last renew is younger than the
   * renew deadline: read on every write, so even a stalled event loop (whose
   * timers fire late) cannot let a deposed leader write.
   */
  get isLeader(): boolean {
    return (
      this.leading && withinRenewDeadline(this.renewedAt, this.now(), this.opts.renewDeadlineMs)
    );
  }

  start(): void {
    this.stopped = false;
    this.tick();
  }

  private tick(): void {
    this.attempt = this.attemptOnce().finally(() => {
      this.attempt = undefined;
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.opts.retryPeriodMs);
    });
  }

  private async attemptOnce(): Promise<void> {
    const startedAt = this.now();
    try {
      const ok = await this.tryAcquireOrRenew(startedAt);
      if (this.stopped) return;
      if (ok) {
        // Timed from before the request: the record the API server stored is
        // no older than this, so a successor's clock starts no earlier.
        this.renewedAt = startedAt;
        this.armWatchdog();
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
      this.opts.log.warn("lease update failed", {
        lease: `${this.opts.namespace}/${this.opts.name}`,
        err,
      });
      if (this.leading && !this.isLeader) this.lose(this.deadlineMessage());
    }
  }

  // Independent of any request in flight: fires at the renew deadline unless a
  // renew succeeded in the meantime (which re-arms it).
  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    const delay = this.renewedAt + this.opts.renewDeadlineMs - this.now();
    this.watchdog = setTimeout(
      () => {
        this.watchdog = undefined;
        if (this.leading && !this.isLeader && !this.stopped) this.lose(this.deadlineMessage());
        else if (this.leading && !this.stopped) this.armWatchdog();
      },
      Math.max(0, delay),
    );
  }

  private deadlineMessage(): string {
    return `the lease was not renewed within the renew deadline (${this.opts.renewDeadlineMs} ms)`;
  }

  private lose(why: string): void {
    this.leading = false;
    this.held = undefined;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.opts.log.warn("lost leadership", {
      lease: `${this.opts.namespace}/${this.opts.name}`,
      why,
    });
    this.opts.onStoppedLeading(why);
  }

  private request<T>(verb: Verb, body: Lease | undefined, deadline: number): Promise<T> {
    const { namespace, name } = this.opts;
    const path =
      verb === "POST" ? resourcePath(LEASES, namespace) : resourcePath(LEASES, namespace, name);
    return this.objects.rest.request<T>(verb, path, {
      ...(body ? { body } : {}),
      // What is left of this attempt's budget (at least 1 ms: 0 would mean no timeout).
      timeoutMs: Math.max(1, deadline - this.now()),
    });
  }

  private async read(deadline: number): Promise<Lease | undefined> {
    try {
      return await this.request<Lease>("GET", undefined, deadline);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(startedAt: number): Promise<boolean> {
    // Our own lease: always an update.
    const renewal =
      this.leading && this.held && decideLease(this.held, undefined, this.opts, this.now());
    if (renewal && renewal.action === "update") {
      // The holder renews from the lease it last wrote, without reading it
      // first (client-go's fast path: one request, not two), and may take until
      // its renew deadline, not one retry period: on an API server slow to
      // answer, a renewal that takes 3 s is still a renewal. Safe, since
      // isLeader and the watchdog count from the start of the last success.
      const deadline = this.renewedAt + this.opts.renewDeadlineMs;
      try {
        this.held = await this.request<Lease>("PUT", renewal.lease, deadline);
        return true;
      } catch (err) {
        // A timeout keeps `held`: if the write landed after all, the next PUT is a 409.
        if (!(isConflict(err) || isNotFound(err))) throw err;
        // Someone else wrote it or deleted it: read and decide afresh.
        this.held = undefined;
      }
    }
    const deadline = startedAt + this.opts.retryPeriodMs;
    const current = await this.read(deadline);
    if (current) this.observed = observe(this.observed, current, this.now());
    const decision = decideLease(current, this.observed, this.opts, this.now());
    if (decision.action === "wait") return false;
    try {
      // A PUT carries metadata.resourceVersion: a concurrent writer makes this a 409.
      this.held = await this.request<Lease>(
        decision.action === "create" ? "POST" : "PUT",
        decision.lease,
        deadline,
      );
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  /** Stops campaigning; a leader releases the lease so a successor need not wait it out. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    // A renew in flight would race the release below (and win the resourceVersion).
    await this.attempt?.catch(() => {});
    if (!this.leading) return;
    this.leading = false;
    try {
      const deadline = this.now() + this.opts.retryPeriodMs;
      const current = await this.read(deadline);
      if (current?.spec?.holderIdentity === this.opts.identity) {
        const released: Lease = {
          ...current,
          spec: {
            ...current.spec,
            holderIdentity: null,
            leaseDurationSeconds: 1,
            renewTime: microTime(this.now()),
          },
        };
        await this.request("PUT", released, this.now() + this.opts.retryPeriodMs);
        this.opts.log.info("released the lease", {
          lease: `${this.opts.namespace}/${this.opts.name}`,
        });
      }
    } catch (err) {
      this.opts.log.warn("could not release the lease; a successor takes over when it expires", {
        lease: `${this.opts.namespace}/${this.opts.name}`,
        err,
      });
    }
  }
}
