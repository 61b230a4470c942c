// A work queue of keys in the manner of client-go's: a key waiting in the queue
// is held once however often it is added; a key being worked on is never handed
// to a second worker (if it is added meanwhile, it is queued again when the first
// worker is done); failures come back after a per-key exponential backoff with
// jitter, under an overall token-bucket rate limit.

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall retry rate limit: tokens per second and bucket size. */
  qps?: number;
  burst?: number;
  /** Called whenever depth or in-flight counts change. */
  onChange?: (depth: number) => void;
  random?: () => number;
}

export class WorkQueue {
  private queue: string[] = [];
  private dirty = new Set<string>();
  private processing = new Set<string>();
  private addedAt = new Map<string, number>();
  private failures = new Map<string, number>();
  private timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private closed = false;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly opts: Required<Omit<QueueOptions, "onChange">> & Pick<QueueOptions, "onChange">;

  constructor(opts: QueueOptions = {}) {
    this.opts = {
      baseDelayMs: opts.baseDelayMs ?? 5,
      maxDelayMs: opts.maxDelayMs ?? 5 * 60_000,
      qps: opts.qps ?? 10,
      burst: opts.burst ?? 100,
      random: opts.random ?? Math.random,
      onChange: opts.onChange,
    };
    this.tokens = this.opts.burst;
  }

  get depth(): number {
    return this.queue.length;
  }
  get inFlight(): number {
    return this.processing.size;
  }
  get isShuttingDown(): boolean {
    return this.closed;
  }

  add(key: string): void {
    if (this.closed || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Adds the key after `ms`; an earlier pending add for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Re-adds a failed key after its backoff: base * 2^failures (capped), with jitter. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** n);
    const jittered = exp * (0.8 + 0.4 * this.opts.random());
    const delay = Math.max(Math.min(jittered, this.opts.maxDelayMs), this.bucketDelay());
    this.addAfter(key, delay);
    return delay;
  }

  /** Success: the key's failure count starts again from zero. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key, or undefined once shut down and drained. Also returns how long it waited. */
  async get(): Promise<{ key: string; waitedMs: number } | undefined> {
    const key =
      this.queue.shift() ??
      (this.closed
        ? undefined
        : await new Promise<string | undefined>((resolve) => this.waiters.push(resolve)));
    if (key === undefined) return undefined;
    this.dirty.delete(key);
    this.processing.add(key);
    const waitedMs = Date.now() - (this.addedAt.get(key) ?? Date.now());
    this.addedAt.delete(key);
    this.opts.onChange?.(this.queue.length);
    return { key, waitedMs };
  }

  /** Marks the key finished; if it was added while in flight, it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  /** Stops handing out new keys; workers finish what they hold. */
  shutDown(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue = [];
    for (const w of this.waiters.splice(0)) w(undefined);
    this.opts.onChange?.(0);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.opts.onChange?.(this.queue.length);
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
