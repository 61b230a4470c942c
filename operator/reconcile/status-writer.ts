// Writing an Architecture's status: only when it changed, compared with the
// status this operator wrote last (the cache may not show that write yet), and
// never silently refused.

import type { ArchitectureStatus } from "../api/schema.ts";
import { KIND } from "../api/schema.ts";
import { statusProblems } from "../api/status-check.ts";
import { isInvalid } from "../kube/errors.ts";
import { ARCHITECTURES } from "../kube/resources.ts";
import { refusedStatus } from "../status/fallback.ts";
import { canonicalJson } from "./drift.ts";
import type { Pass } from "./pass.ts";
import type { StoredArchitecture } from "./types.ts";

/**
 * The status this operator last wrote to an Architecture. A reconcile that
 * starts before the watch event of that write has reached the cache would
 * otherwise compare with the older status and write again. resourceVersions
 * are opaque (only equality means anything), so the memo lists the versions
 * known to predate the write: while the cache shows one of them, the memo is
 * the newer truth.
 */
interface WrittenStatus {
  uid: string | undefined;
  status: ArchitectureStatus;
  /** The version the write produced: once the cache shows it, the memo is spent. */
  version: string | undefined;
  olderVersions: Set<string>;
}

// Merge patch leaves keys it does not mention: name every status field so that
// one no longer wanted (an expiry removed with the ttl) is cleared.
function emptyStatus(): Record<string, null> {
  return { expiresAt: null, endpoints: null, components: null, conditions: null };
}

export class StatusWriter {
  /** By namespace/name; an entry lives only while the cache lags behind a status write. */
  private readonly written = new Map<string, WrittenStatus>();

  /** The Architecture gone: nothing to remember. */
  forget(key: string): void {
    this.written.delete(key);
  }

  /**
   * The Architecture as the cache shows it, with the status this operator wrote
   * last if the cache has not seen that write yet.
   */
  current(stored: StoredArchitecture, key: string): StoredArchitecture {
    const memo = this.written.get(key);
    if (!memo) return stored;
    const rv = stored.metadata.resourceVersion;
    if (memo.uid === stored.metadata.uid && rv !== undefined && memo.olderVersions.has(rv))
      return { ...stored, status: memo.status };
    // The cache shows the write itself or something after it (or a namesake).
    this.written.delete(key);
    return stored;
  }

  /** `pass.stored` must come from current(), so that it is compared with the latest write. */
  async write(pass: Pass, computed: ArchitectureStatus): Promise<void> {
    const { stored } = pass;
    if (canonicalJson(stored.status ?? {}) === canonicalJson(computed)) return;
    const key = `${pass.namespace}/${pass.name}`;
    const memo = this.written.get(key);
    const generation = stored.metadata.generation ?? 0;
    // Status is computed whole from the caches and only the leader writes it,
    // so no resourceVersion precondition: a finalizer just added must not make
    // the status write of the same pass fail.
    const patch = (next: ArchitectureStatus) =>
      pass.deps.objects.mergePatch<StoredArchitecture>(
        ARCHITECTURES,
        pass.namespace,
        pass.name,
        { status: { ...emptyStatus(), ...next } },
        "status",
      );
    // A status the CRD would refuse is a bug of ours: caught here without a
    // request, and by the API server otherwise. Either way a minimal status
    // that says so is written, never nothing.
    const refusal = (why: string) => {
      pass.log.error("status refused; writing a minimal status", { err: why });
      return refusedStatus(stored.status, generation, why, pass.now);
    };
    const problems = statusProblems(computed);
    let status = problems.length ? refusal(problems.join("; ")) : computed;
    let written: StoredArchitecture;
    try {
      written = await patch(status);
    } catch (err) {
      if (!isInvalid(err) || status !== computed) throw err;
      status = refusal(err instanceof Error ? err.message : String(err));
      if (canonicalJson(stored.status ?? {}) === canonicalJson(status)) return;
      written = await patch(status);
    }
    pass.wrote(KIND, "status");
    // Every version the cache may still show is older than this write: the
    // one this pass read, those this pass produced, and those of a memo still
    // in force (including that memo's own write).
    const olderVersions = new Set<string>(pass.archVersions);
    if (stored.metadata.resourceVersion) olderVersions.add(stored.metadata.resourceVersion);
    if (memo && memo.uid === stored.metadata.uid) {
      for (const v of memo.olderVersions) olderVersions.add(v);
      if (memo.version) olderVersions.add(memo.version);
    }
    this.written.set(key, {
      uid: stored.metadata.uid,
      status,
      version: written.metadata.resourceVersion,
      olderVersions,
    });
  }
}
