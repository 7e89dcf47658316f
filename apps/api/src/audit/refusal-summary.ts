import type { AuditEntry } from '@aegis/stores';

/** One refused, unauthenticated request: a 401, or a 429 of a caller that never authenticated. */
export interface Refusal {
  ip: string;
  action: string;
  status: number;
  errorCode: string | undefined;
  userAgent: string | undefined;
}

interface Bucket {
  count: number;
  from: Date;
  to: Date;
  byStatus: Record<string, number>;
  actions: Set<string>;
  userAgent: string | null;
}

// Distinct IPs kept per window; past it the rest share one row (ip `*`), so memory stays bounded in a flood.
const MAX_IPS = 10_000;
const MAX_ACTIONS = 10;
const OVERFLOW_IP = '*';

/**
 * Sums refused, unauthenticated requests per client IP and window into one audit row each
 * (`auth.refused`, with the count, the window, statuses and up to 10 actions), instead of one row per
 * request: a 401 flood of any size writes at most one row per IP and window. Written when the window
 * ends and on close.
 */
export function createRefusalSummary(options: {
  windowMs: number;
  write: (entry: AuditEntry) => Promise<void>;
  now?: (() => Date) | undefined;
}) {
  const now = options.now ?? (() => new Date());
  let buckets = new Map<string, Bucket>();
  let timer: NodeJS.Timeout | undefined;

  function flush(): Promise<void> {
    const done = buckets;
    buckets = new Map();
    clearTimeout(timer);
    timer = undefined;
    return Promise.all(
      [...done].map(([ip, bucket]) =>
        options.write({
          keyId: null,
          keyName: null,
          action: 'auth.refused',
          target: null,
          ip,
          userAgent: bucket.userAgent,
          // The most frequent status stands for the row; details keep them all.
          status: Number.parseInt(
            Object.entries(bucket.byStatus).sort(([, a], [, b]) => b - a)[0]?.[0] ?? '401',
            10,
          ),
          details: {
            count: bucket.count,
            from: bucket.from.toISOString(),
            to: bucket.to.toISOString(),
            byStatus: bucket.byStatus,
            actions: [...bucket.actions],
          },
        }),
      ),
    ).then(() => {});
  }

  return {
    add(refusal: Refusal): void {
      const ip = buckets.has(refusal.ip) || buckets.size < MAX_IPS ? refusal.ip : OVERFLOW_IP;
      const at = now();
      const bucket = buckets.get(ip) ?? {
        count: 0,
        from: at,
        to: at,
        byStatus: {},
        actions: new Set<string>(),
        userAgent: null,
      };
      bucket.count++;
      bucket.to = at;
      const status = `${refusal.status}${refusal.errorCode ? ` ${refusal.errorCode}` : ''}`;
      bucket.byStatus[status] = (bucket.byStatus[status] ?? 0) + 1;
      if (bucket.actions.size < MAX_ACTIONS) bucket.actions.add(refusal.action);
      bucket.userAgent = refusal.userAgent?.slice(0, 200) ?? bucket.userAgent;
      buckets.set(ip, bucket);
      if (timer === undefined) {
        timer = setTimeout(() => void flush().catch(() => {}), options.windowMs);
        timer.unref();
      }
    },
    /** Writes every pending summary now (tests, shutdown). */
    flush,
  };
}
