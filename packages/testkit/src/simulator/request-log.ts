import type { SimRequestRecord, SimRoute, SimStats } from './types.ts';

/** The simulator's request records plus event-driven waits on them. */
export interface RequestLog {
  /** Live array of records, oldest first. */
  readonly records: SimRequestRecord[];
  /** Creates and stores a record (id assigned here). */
  open(init: Omit<SimRequestRecord, 'id' | 'aborted' | 'startedAt'>): SimRequestRecord;
  /** Merges `patch` into a record and wakes waiters. */
  update(record: SimRequestRecord, patch: Partial<SimRequestRecord>): void;
  count(provider?: string, route?: SimRoute): number;
  /** Resolves with the first record (existing or future) satisfying `predicate`; rejects after `timeoutMs`. */
  waitFor(predicate: (record: SimRequestRecord) => boolean, timeoutMs: number): Promise<SimRequestRecord>;
  /** Resolves with `closedAt` of request `id` once its exchange has closed. */
  waitForClose(id: number, timeoutMs: number): Promise<number>;
  stats(): Omit<SimStats, 'pendingFaults'>;
  /** Forgets records; pending waits keep waiting for new records. */
  clear(): void;
  /** Rejects every pending wait (the simulator is closing). */
  dispose(): void;
}

interface Waiter {
  predicate: (record: SimRequestRecord) => boolean;
  resolve: (record: SimRequestRecord) => void;
  reject: (error: Error) => void;
}

export function createRequestLog(): RequestLog {
  const records: SimRequestRecord[] = [];
  const waiters = new Set<Waiter>();
  let nextId = 1;

  const notify = (record: SimRequestRecord): void => {
    for (const waiter of waiters) {
      if (waiter.predicate(record)) {
        waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  };

  const waitFor = (
    predicate: (record: SimRequestRecord) => boolean,
    timeoutMs: number,
  ): Promise<SimRequestRecord> => {
    const existing = records.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`simulator: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.add(waiter);
    });
  };

  return {
    records,
    open(init) {
      const record: SimRequestRecord = { id: nextId++, startedAt: Date.now(), aborted: false, ...init };
      records.push(record);
      notify(record);
      return record;
    },
    update(record, patch) {
      Object.assign(record, patch);
      notify(record);
    },
    count(provider, route) {
      return records.filter(
        (record) =>
          (provider === undefined || record.provider === provider) &&
          (route === undefined || record.route === route),
      ).length;
    },
    waitFor,
    async waitForClose(id, timeoutMs) {
      const record = await waitFor(
        (candidate) => candidate.id === id && candidate.closedAt !== undefined,
        timeoutMs,
      );
      return record.closedAt ?? Date.now();
    },
    stats() {
      const byProvider: SimStats['byProvider'] = {};
      for (const record of records) {
        const routes = byProvider[record.provider] ?? {};
        routes[record.route] = (routes[record.route] ?? 0) + 1;
        byProvider[record.provider] = routes;
      }
      const inFlight = records.filter((record) => record.closedAt === undefined).length;
      return { requests: records.length, inFlight, byProvider };
    },
    clear() {
      records.length = 0;
    },
    dispose() {
      for (const waiter of waiters) waiter.reject(new Error('simulator closed'));
      waiters.clear();
    },
  };
}
