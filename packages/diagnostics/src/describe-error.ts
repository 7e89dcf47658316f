/** The error's code (`ECONNREFUSED`, a Postgres SQLSTATE, ...) wherever the client library put it. */
function codeOf(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const PLAIN: Record<string, string> = {
  ECONNREFUSED: 'refused the connection (nothing listens there)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'did not answer in time',
  ECONNRESET: 'closed the connection',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  TIMEOUT: 'did not answer in time',
  // Postgres SQLSTATEs
  '28P01': 'refused the password',
  '28000': 'refused the role (no such user, or not allowed from here)',
  '3D000': 'has no such database',
  '57P03': 'is starting up or shutting down',
  '53300': 'has no free connection slots',
  // Redis
  NOAUTH: 'needs a password',
  WRONGPASS: 'refused the password',
};

/**
 * A client library's failure as one short phrase for people ("refused the connection (nothing listens
 * there)"), never its raw retry chatter. Falls back to the first line of the message.
 */
export function describeError(error: unknown): { code: string | undefined; text: string } {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const redisCode = /^(NOAUTH|WRONGPASS)\b/.exec(message)?.[1];
  const known = (code && PLAIN[code]) || (redisCode && PLAIN[redisCode]);
  if (known) return { code: code ?? redisCode, text: known };
  return { code, text: (message.split('\n')[0] ?? message).slice(0, 200) };
}

/** Runs `work` with a time limit; the timeout rejects with code `TIMEOUT`. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
