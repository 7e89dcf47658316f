import { freemem } from 'node:os';
import type { WorkerCapacity } from '@aegis/pipeline';
import type { Redis } from 'ioredis';

/** What one worker process reports every few seconds. */
export interface CapacityReport {
  workerId: string;
  limitBytes: number;
  rssBytes: number;
  /** Free memory of the host: a worker cannot use more than the machine has left. */
  hostFreeBytes: number;
  at: number;
}

const STALE_MS = 30_000;

function key(prefix: string): string {
  return `${prefix}:workers:capacity`;
}

/** Publishes this process's memory headroom (a hash field per worker) every `intervalMs`. Returns a stop function. */
export function startCapacityReports(options: {
  redis: Redis;
  prefix: string;
  workerId: string;
  limitBytes: number;
  intervalMs?: number;
}): () => Promise<void> {
  const report = async (): Promise<void> => {
    const body: CapacityReport = {
      workerId: options.workerId,
      limitBytes: options.limitBytes,
      rssBytes: process.memoryUsage.rss(),
      hostFreeBytes: freemem(),
      at: Date.now(),
    };
    await options.redis.hset(key(options.prefix), options.workerId, JSON.stringify(body));
  };
  const timer = setInterval(() => void report().catch(() => {}), options.intervalMs ?? 5_000);
  timer.unref();
  void report().catch(() => {});
  return async () => {
    clearInterval(timer);
    await options.redis.hdel(key(options.prefix), options.workerId).catch(() => {});
  };
}

/** The best headroom and the largest limit among workers that reported within the last 30 s. */
export async function readCapacity(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerCapacity> {
  const entries = await redis.hgetall(key(prefix));
  let bestHeadroomBytes = 0;
  let largestLimitBytes = 0;
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
    bestHeadroomBytes = Math.max(
      bestHeadroomBytes,
      Math.min(report.limitBytes - report.rssBytes, report.hostFreeBytes),
    );
  }
  if (stale.length > 0) await redis.hdel(key(prefix), ...stale);
  return { bestHeadroomBytes, largestLimitBytes, workers };
}
