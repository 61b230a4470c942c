// Stopping while starting: every start-up or discovery step races the stop
// signal, and a stopped step rejects with STOPPED (not an error to report).

export const STOPPED = Symbol("operator stopped");

export class StopSignal {
  requested = false;
  private fire!: () => void;
  private readonly signal = new Promise<never>((_, reject) => {
    this.fire = () => reject(STOPPED);
  });

  constructor() {
    this.signal.catch(() => {}); // only ever observed through race()
  }

  stop(): void {
    this.requested = true;
    this.fire();
  }

  /** `p`, or STOPPED as soon as stop() is called. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.signal]);
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
