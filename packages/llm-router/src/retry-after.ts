/**
 * The longest wait a server hint may impose, in ms (24 h). A hint beyond it is far more likely a bug or a
 * misread header than a real instruction, and an unbounded value would park a provider's breaker for good.
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** Response headers as the `openai` SDK (`Headers`) or Node's `http` (`IncomingHttpHeaders`) expose them. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

// RFC 9110 `delta-seconds` is digits only; a decimal part is accepted because some providers send one.
const DECIMAL = /^\d+(?:\.\d+)?$/;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

// The three HTTP-date forms of RFC 9110 §5.6.7. They are matched explicitly instead of handing the text to
// `Date.parse`, which accepts almost anything (`Date.parse('1')` is a date in 2001) and reads asctime as local time.
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE =
  /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Reads a server's "come back later" hint from response headers, as milliseconds from `now`.
 *
 * - `retry-after-ms` (float milliseconds, an OpenAI extension) wins when it is a valid number, as in the
 *   `openai` SDK; otherwise `retry-after` is read as delta-seconds (integer or decimal) or an HTTP-date
 *   (IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must still accept).
 * - A date in the past gives 0; a value over {@link MAX_RETRY_AFTER_MS} is capped to it.
 * - Missing, empty, negative or unparseable values give `undefined` (no hint), never an error.
 *
 * Header names are matched case-insensitively; for a repeated header the first value is used.
 *
 * @param headers The response headers, or `undefined` when there was no response (e.g. a connection error).
 * @param now Epoch ms that HTTP-dates are measured from. Default `Date.now()`.
 * @returns Milliseconds to wait (may be fractional), or `undefined` when the server gave no usable hint.
 */
export function parseRetryAfter(
  headers: HeaderSource | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;

  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== undefined && DECIMAL.test(ms)) return cap(Number(ms));

  const value = readHeader(headers, 'retry-after');
  if (value === undefined) return undefined;
  if (DECIMAL.test(value)) return cap(Number(value) * 1000);

  const date = parseHttpDate(value, now);
  if (date === undefined) return undefined;
  return cap(Math.max(0, date - now));
}

/**
 * Parses an RFC 9110 HTTP-date into epoch ms, or `undefined` when the text is not one.
 *
 * @param now Epoch ms that decides the century of an RFC 850 two-digit year. Default `Date.now()`.
 */
export function parseHttpDate(text: string, now: number = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);

  m = RFC850_DATE.exec(text);
  if (m) return utc(String(fullYearOf(Number(m[3]), now)), m[2], m[1], m[4], m[5], m[6]);

  m = ASCTIME_DATE.exec(text);
  if (m) return utc(m[6], m[1], (m[2] ?? '').trim(), m[3], m[4], m[5]);

  return undefined;
}

/**
 * RFC 9110: a two-digit year that would be more than 50 years in the future is the most recent past year
 * with the same last two digits.
 */
function fullYearOf(twoDigits: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  const century = thisYear - (thisYear % 100);
  const candidate = century + twoDigits;
  return candidate > thisYear + 50 ? candidate - 100 : candidate;
}

function utc(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const month = monthName === undefined ? undefined : MONTHS[monthName];
  if (month === undefined) return undefined;
  const y = Number(year);
  const d = Number(day);
  const h = Number(hour);
  const min = Number(minute);
  // 60 allows a leap second; Date.UTC rolls it into the next minute, which is close enough for a wait.
  const s = Number(second);
  if (d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return undefined;
  // Date.UTC silently rolls 31 Feb into March; a server that sends it is broken, so ignore the hint.
  if (new Date(Date.UTC(y, month, d)).getUTCDate() !== d) return undefined;
  return Date.UTC(y, month, d, h, min, s);
}

function cap(ms: number): number | undefined {
  // Only digit strings get here, so Infinity means "a very long digit string": capped like any large value.
  if (Number.isNaN(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (isHeaders(headers)) return clean(headers.get(name) ?? undefined);

  const direct = headers[name];
  if (direct !== undefined) return clean(direct);
  // Node lower-cases incoming header names, but hand-built records (tests, other clients) may not.
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) return clean(headers[key]);
  }
  return undefined;
}

function isHeaders(headers: HeaderSource): headers is Headers {
  // Duck-typed: the SDK may hand back a Headers from another realm or polyfill, so instanceof is unreliable.
  return typeof (headers as { get?: unknown }).get === 'function';
}

function clean(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed === '' ? undefined : trimmed;
}
