// A work queue of keys in the manner of client-go's, with priorities in the
// manner of controller-runtime's priority queue: a key waiting in the queue is
// held once however often it is added, at the highest priority it was added
// with; a key being worked on is never handed to a second worker (if it is
// added meanwhile, it is queued again when the first worker is done); keys of
// a higher priority go first; within one priority, flows (the controller's:
// namespaces) take turns, and one flow's keys go in the order they came, so
// one team's burst of 100 edits does not hold up another team's one edit;
// failures come back after a per-key exponential backoff with jitter, under an
// overall token-bucket rate limit.

/**
 * How urgent a key is. A user's edit (a new generation) must not wait behind
 * background work: the initial list after a start, resyncs, and children's
 * status churn (see Controller.observe).
 */
export const PRIORITY = {
  /** A new generation of an Architecture already reconciled, a deletion. */
  edit: 10,
  /**
   * A new Architecture: a user's change too, but one that stands up something
   * new, so a burst of them (a CI pipeline's environments) waits behind an
   * edit of a running system.
   */
  create: 5,
  /** Children's events, retries after failures, TTL wake-ups. */
  normal: 0,
  /** The initial list, resyncs, a new leader's list of everything. */
  background: -10,
} as const;

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall retry rate limit: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
  /**
   * The flow a key belongs to: flows of one priority are served in turn.
   * Default: one flow (first in, first out within a priority).
   */
  flowOf?: (key: string) => string;
  /** Called whenever depth or in-flight counts change. */
  onChange?: (depth: number) => void;
  random?: () => number;
}

export interface QueueItem {
  key: string;
  /** From the first add since it was last handed out. */
  waitedMs: number;
  priority: number;
}

export class WorkQueue {
  /**
   * Waiting keys by priority, then by flow; a Map and a Set keep insertion
   * order and remove in O(1). A flow's position is its turn: served, it goes
   * to the back.
   */
  private readonly levels = new Map<number, Map<string, Set<string>>>();
  /** The priorities in `levels`, highest first. */
  private order: number[] = [];
  /** Keys to be processed (waiting, or re-added while in flight), with their priority. */
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<
    string,
    { at: number; priority: number; timer: NodeJS.Timeout }
  >();
  /** Workers waiting for a key, each with the lowest priority it takes. */
  private waiters: { min: number; resolve: (item: QueueItem | undefined) => void }[] = [];
  private waiting = 0;
  private closed = false;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly opts: Required<Omit<QueueOptions, "onChange" | "flowOf">> &
    Pick<QueueOptions, "onChange">;
  private readonly flowOf: (key: string) => string;

  constructor(opts: QueueOptions = {}) {
    this.opts = {
      baseDelayMs: opts.baseDelayMs ?? 5,
      maxDelayMs: opts.maxDelayMs ?? 5 * 60_000,
      qps: opts.qps ?? 10,
      burst: opts.burst ?? 100,
      random: opts.random ?? Math.random,
      onChange: opts.onChange,
    };
    this.flowOf = opts.flowOf ?? (() => "");
    this.tokens = this.opts.burst;
  }

  get depth(): number {
    return this.waiting;
  }
  get inFlight(): number {
    return this.processing.size;
  }
  get isShuttingDown(): boolean {
    return this.closed;
  }

  /** The priority a waiting (or re-added in-flight) key has now; undefined if none. */
  priorityOf(key: string): number | undefined {
    return this.dirty.get(key);
  }

  /** Queues the key; one already waiting keeps its place unless this add raises its priority. */
  add(key: string, priority: number = PRIORITY.normal): void {
    if (this.closed) return;
    const had = this.dirty.get(key);
    if (had !== undefined && had >= priority) return;
    this.dirty.set(key, priority);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return; // re-queued by done()
    if (had !== undefined) {
      // Raised: it moves to the end of the higher level, as a new add would.
      this.removeWaiting(key, had);
      this.waiting--;
    }
    this.push(key, priority);
  }

  /**
   * Adds the key after `ms`. Of two pending adds of one key, the earlier time
   * wins, and it keeps the higher of the two priorities.
   */
  addAfter(key: string, ms: number, priority: number = PRIORITY.normal): void {
    if (this.closed) return;
    if (ms <= 0) {
      this.add(key, priority);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) {
      pending.priority = Math.max(pending.priority, priority);
      return;
    }
    const p = Math.max(pending?.priority ?? priority, priority);
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      const entry = this.timers.get(key);
      this.timers.delete(key);
      this.add(key, entry?.priority ?? p);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, priority: p, timer });
  }

  /** Re-adds a failed key after its backoff: base * 2^failures (capped), with jitter. */
  addRateLimited(key: string, priority: number = PRIORITY.normal): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** n);
    const jittered = exp * (0.8 + 0.4 * this.opts.random());
    const delay = Math.max(Math.min(jittered, this.opts.maxDelayMs), this.bucketDelay());
    this.addAfter(key, delay, priority);
    return delay;
  }

  /** Success: the key's failure count starts again from zero. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * The next key (highest priority first), or undefined once shut down and
   * drained. Also returns how long it waited and the priority it had. With
   * `min`, only a key of at least that priority (a worker kept for edits).
   */
  async get(min: number = Number.NEGATIVE_INFINITY): Promise<QueueItem | undefined> {
    const key = this.pop(min);
    if (key !== undefined) return this.take(key);
    if (this.closed) return undefined;
    return new Promise<QueueItem | undefined>((resolve) => this.waiters.push({ min, resolve }));
  }

  // Synchronous, so that no add() can slip in between a key leaving the queue
  // and its being marked in flight.
  private take(key: string): QueueItem {
    const priority = this.dirty.get(key) ?? PRIORITY.normal;
    this.dirty.delete(key);
    this.processing.add(key);
    const waitedMs = Date.now() - (this.addedAt.get(key) ?? Date.now());
    this.addedAt.delete(key);
    this.opts.onChange?.(this.waiting);
    return { key, waitedMs, priority };
  }

  /** Marks the key finished; if it was added while in flight, it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    const priority = this.dirty.get(key);
    if (priority !== undefined) this.push(key, priority);
  }

  /** Stops handing out new keys; workers finish what they hold. */
  shutDown(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.levels.clear();
    this.order = [];
    this.waiting = 0;
    for (const w of this.waiters.splice(0)) w.resolve(undefined);
    this.opts.onChange?.(0);
  }

  private push(key: string, priority: number): void {
    // The longest-waiting worker that takes this priority.
    const i = this.waiters.findIndex((w) => priority >= w.min);
    if (i >= 0) {
      const [waiter] = this.waiters.splice(i, 1);
      waiter?.resolve(this.take(key));
      return;
    }
    let level = this.levels.get(priority);
    if (!level) {
      level = new Map();
      this.levels.set(priority, level);
      this.order = [...this.levels.keys()].sort((a, b) => b - a);
    }
    const flow = this.flowOf(key);
    let keys = level.get(flow);
    if (!keys) {
      keys = new Set();
      level.set(flow, keys);
    }
    keys.add(key);
    this.waiting++;
    this.opts.onChange?.(this.waiting);
  }

  private pop(min: number): string | undefined {
    for (const p of this.order) {
      if (p < min) break; // `order` is highest first
      const level = this.levels.get(p);
      const turn = level?.entries().next();
      if (!level || !turn || turn.done) continue;
      const [flow, keys] = turn.value;
      const key = keys.values().next().value as string;
      keys.delete(key);
      // Served: the flow goes to the back of the turns (or leaves, if empty).
      level.delete(flow);
      if (keys.size > 0) level.set(flow, keys);
      this.waiting--;
      return key;
    }
    return undefined;
  }

  private removeWaiting(key: string, priority: number): void {
    const level = this.levels.get(priority);
    const flow = this.flowOf(key);
    const keys = level?.get(flow);
    if (!level || !keys) return;
    keys.delete(key);
    if (keys.size === 0) level.delete(flow);
  }

  // Token bucket over retries: a storm of failures cannot turn into a storm of requests.
  private bucketDelay(): number {
    const now = Date.now();
    this.tokens = Math.min(
      this.opts.burst,
      this.tokens + ((now - this.lastRefill) / 1000) * this.opts.qps,
    );
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.opts.qps) * 1000;
  }
}
