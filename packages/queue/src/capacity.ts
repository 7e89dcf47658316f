import type { WorkerCapacity } from '@aegis/pipeline';
import type { Redis } from 'ioredis';

/** What one worker process reports every few seconds (and at once when its sandboxes free memory). */
export interface CapacityReport {
  workerId: string;
  /** WORKER_MEMORY_LIMIT_MB in bytes: the worker and its sandbox processes together. */
  limitBytes: number;
  /** Resident memory of the worker and its live sandbox processes now, bytes. */
  rssBytes: number;
  /** Memory the host (or the container's cgroup) still has, bytes: a worker cannot use more than that. */
  hostFreeBytes: number;
  /** One sandbox process's cap, bytes (absent in reports of older workers). */
  sandboxLimitBytes?: number | undefined;
  at: number;
}

/** Options of {@link startCapacityReports}. */
export interface CapacityReporterOptions {
  redis: Redis;
  prefix: string;
  workerId: string;
  limitBytes: number;
  /** One sandbox process's cap, bytes. */
  sandboxLimitBytes?: number | undefined;
  /** Resident memory of the worker and its sandbox processes, bytes. Default: this process's RSS. */
  usedBytes?: (() => number) | undefined;
  /** Free memory of the host or container, bytes. Default `process.availableMemory()` (cgroup-aware). */
  hostFreeBytes?: (() => number) | undefined;
  /** Default 5,000 ms. */
  intervalMs?: number | undefined;
}

/** A running reporter. */
export interface CapacityReporter {
  /** Publishes a fresh report now (after a sandbox exit returned memory, say); never rejects. */
  refresh(): Promise<void>;
  /** Stops reporting and removes this worker's entry. */
  stop(): Promise<void>;
}

const STALE_MS = 30_000;

function key(prefix: string): string {
  return `${prefix}:workers:capacity`;
}

/**
 * Publishes this worker's memory headroom (a hash field per worker) every `intervalMs`, and whenever
 * `refresh()` is called: a sandbox that ended on a bomb gives its memory back at once, and the next memory
 * check must see that, not a figure from before.
 */
export function startCapacityReports(options: CapacityReporterOptions): CapacityReporter {
  const used = options.usedBytes ?? (() => process.memoryUsage.rss());
  const hostFree = options.hostFreeBytes ?? (() => process.availableMemory());
  const report = async (): Promise<void> => {
    const body: CapacityReport = {
      workerId: options.workerId,
      limitBytes: options.limitBytes,
      rssBytes: used(),
      hostFreeBytes: hostFree(),
      sandboxLimitBytes: options.sandboxLimitBytes,
      at: Date.now(),
    };
    await options.redis.hset(key(options.prefix), options.workerId, JSON.stringify(body));
  };
  let stopped = false;
  const refresh = (): Promise<void> => (stopped ? Promise.resolve() : report().catch(() => {}));
  const timer = setInterval(() => void refresh(), options.intervalMs ?? 5_000);
  timer.unref();
  void refresh();
  return {
    refresh,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await options.redis.hdel(key(options.prefix), options.workerId).catch(() => {});
    },
  };
}

/** The best headroom and the largest limits among workers that reported within the last 30 s. */
export async function readCapacity(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerCapacity> {
  const entries = await redis.hgetall(key(prefix));
  let bestHeadroomBytes = 0;
  let largestLimitBytes = 0;
  let largestSandboxLimitBytes: number | undefined;
  let workers = 0;
  const stale: string[] = [];
  for (const [workerId, raw] of Object.entries(entries)) {
    const report = JSON.parse(raw) as CapacityReport;
    if (now - report.at > STALE_MS) {
      stale.push(workerId);
      continue;
    }
    workers += 1;
    largestLimitBytes = Math.max(largestLimitBytes, report.limitBytes);
    if (report.sandboxLimitBytes !== undefined)
      largestSandboxLimitBytes = Math.max(largestSandboxLimitBytes ?? 0, report.sandboxLimitBytes);
    bestHeadroomBytes = Math.max(
      bestHeadroomBytes,
      Math.min(report.limitBytes - report.rssBytes, report.hostFreeBytes),
    );
  }
  if (stale.length > 0) await redis.hdel(key(prefix), ...stale);
  return { bestHeadroomBytes, largestLimitBytes, largestSandboxLimitBytes, workers };
}
