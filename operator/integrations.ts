// Optional integrations (KEDA, the Prometheus Operator): used only where their
// CRDs are served, found at start and found again every `discoverySeconds`.
// When one appears, its caches start and sync before the renderer may emit its
// kinds; when one goes, its caches stop. Either way every Architecture is
// reconciled again. The capabilities are a value replaced on change, never an
// object changed in place.
import type { ChildCaches } from "./child-caches.ts";
import { describeKubeError, isNotFound } from "./kube/errors.ts";
import { capabilityOf, OWNED } from "./kube/resources.ts";
import type { KubeRest } from "./kube/rest.ts";
import { CAPABILITY_NAMES, type Capabilities, noCapabilities } from "./render/types.ts";
import type { Logger } from "./runtime/logger.ts";
import type { StopSignal } from "./runtime/stop-signal.ts";
import { STOPPED, withTimeout } from "./runtime/stop-signal.ts";

const OPTIONAL = OWNED.filter((r) => r.optional);

/**
 * Capabilities from discovery: `served(groupVersion)` lists the resources a
 * group/version serves (undefined: the group is absent). A capability needs
 * every kind the renderer may emit for it (KEDA: ScaledObject and
 * TriggerAuthentication), or its caches could not list. Pure.
 */
export function capabilitiesFrom(
  served: (groupVersion: string) => string[] | undefined,
): Capabilities {
  const has = (cap: keyof Capabilities) =>
    OPTIONAL.filter((r) => capabilityOf(r) === cap).every(
      (r) => served(r.apiVersion)?.includes(r.plural) ?? false,
    );
  const out = noCapabilities();
  for (const cap of CAPABILITY_NAMES) out[cap] = has(cap);
  return out;
}

export interface IntegrationsDeps {
  rest: KubeRest;
  caches: ChildCaches;
  log: Logger;
  stop: StopSignal;
  /** The integrations changed: reconcile every Architecture. */
  changed: () => void;
}

export class Integrations {
  private readonly deps: IntegrationsDeps;
  private current: Capabilities = noCapabilities();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(deps: IntegrationsDeps) {
    this.deps = deps;
  }

  /** The integrations in use now. */
  get capabilities(): Capabilities {
    return this.current;
  }

  /** Discovery needs no RBAC. */
  private async discover(): Promise<Capabilities> {
    const served = new Map<string, string[] | undefined>();
    for (const gv of new Set(OPTIONAL.map((r) => r.apiVersion))) {
      try {
        const list = await this.deps.rest.get<{ resources?: { name: string }[] }>(`/apis/${gv}`, {
          timeoutMs: 10_000,
        });
        served.set(gv, list.resources?.map((r) => r.name) ?? []);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        served.set(gv, undefined);
      }
    }
    return capabilitiesFrom((gv) => served.get(gv));
  }

  /** At start: what is served now, and the caches of every kind in use (not started). */
  async start(): Promise<void> {
    this.current = await this.deps.stop.race(this.discover());
    for (const r of OWNED)
      if (!r.optional || this.current[capabilityOf(r)] === true) this.deps.caches.add(r);
  }

  /** Looks again every `seconds`, until stop(). */
  schedule(seconds: number): void {
    if (this.deps.stop.requested) return;
    this.timer = setTimeout(() => {
      this.running = this.rediscover().finally(() => {
        this.running = undefined;
        this.schedule(seconds);
      });
    }, seconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  /** KEDA or the Prometheus Operator installed (or removed) while running: adapt, then reconcile all. */
  private async rediscover(): Promise<void> {
    const { caches, log, stop } = this.deps;
    let found: Capabilities;
    try {
      found = await stop.race(this.discover());
    } catch (err) {
      if (err !== STOPPED)
        log.warn("discovery of optional integrations failed; keeping what was found before", {
          err: describeKubeError(err),
        });
      return;
    }
    const before = this.current;
    const next = { ...found };
    const caps = CAPABILITY_NAMES;
    for (const cap of caps.filter((c) => next[c] === true && before[c] !== true)) {
      // Caches first, synced, so the first reconcile that renders these kinds
      // sees what already exists instead of applying blind.
      const kinds = OPTIONAL.filter((r) => capabilityOf(r) === cap);
      const started = kinds.flatMap((r) => caches.add(r));
      try {
        await stop.race(
          withTimeout(
            Promise.all(started.map((i) => i.start())),
            60_000,
            `the caches of ${kinds.map((r) => r.plural).join(", ")} did not sync within 60 s`,
          ),
        );
      } catch (err) {
        for (const r of kinds) await caches.remove(r);
        if (err === STOPPED) return;
        log.warn("an optional integration appeared but cannot be used yet; trying again later", {
          capability: cap,
          err: describeKubeError(err),
        });
        next[cap] = false;
      }
    }
    if (caps.every((c) => (next[c] ?? false) === (before[c] ?? false))) return;
    this.current = next;
    for (const cap of caps.filter((c) => before[c] === true && next[c] !== true))
      for (const r of OPTIONAL.filter((k) => capabilityOf(k) === cap)) await caches.remove(r);
    log.info("optional integrations changed; reconciling every Architecture", {
      from: before,
      to: next,
    });
    this.deps.changed();
  }
}
