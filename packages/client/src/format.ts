/**
 * Formatting for people, shared by the CLI and the web UI so both show the same numbers the same way.
 * Machine output (JSON, CSV) keeps exact values; only these human views round.
 */

/**
 * A USD amount as people read it: cents for a dollar or more (`$12.35`), four decimals below that
 * (`$0.0123`), and two significant digits for fractions of a hundredth of a cent (`$0.0000042`), so a
 * non-zero cost never shows as `$0.00`.
 *
 * @param usd an exact decimal string (e.g. `"0.000123000000"`) or a number.
 */
export function formatUsd(usd: string | number): string {
  const value = typeof usd === 'number' ? usd : Number(usd);
  if (!Number.isFinite(value)) return String(usd);
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (abs === 0) return '$0.00';
  if (abs >= 1)
    return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (abs >= 0.0001) return `${sign}$${abs.toFixed(4)}`;
  const digits = Math.min(12, Math.ceil(-Math.log10(abs)) + 1);
  return `${sign}$${abs.toFixed(digits)}`;
}

/**
 * An exact decimal USD string with trailing zeros dropped (at least two decimals): `"0.000123000000"` becomes
 * `"0.000123"`, `"12.500000000000"` becomes `"12.50"`. Exact, for JSON and CSV.
 */
export function trimUsd(usd: string): string {
  const match = /^(-?\d+)(?:\.(\d*))?$/.exec(usd.trim());
  if (!match) return usd;
  const [, whole = '0', fraction = ''] = match;
  const kept = fraction.replace(/0+$/, '');
  return `${whole}.${kept.padEnd(2, '0')}`;
}

/** Adds exact decimal USD strings (no float rounding): pico-dollar integers underneath. */
export function sumUsd(amounts: Iterable<string>): string {
  let pico = 0n;
  for (const amount of amounts) {
    const match = /^(-?)(\d+)(?:\.(\d{0,12}))?\d*$/.exec(amount.trim());
    if (!match) continue;
    const [, sign, whole = '0', fraction = ''] = match;
    const value = BigInt(whole) * 1_000_000_000_000n + BigInt(fraction.padEnd(12, '0'));
    pico += sign === '-' ? -value : value;
  }
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const text = `${abs / 1_000_000_000_000n}.${(abs % 1_000_000_000_000n).toString().padStart(12, '0')}`;
  return trimUsd(`${negative ? '-' : ''}${text}`);
}

/** A duration in ms as `850 ms`, `12.4 s`, `3 min 05 s` or `2 h 07 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600)
    return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(totalSeconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** A byte count as `512 B`, `12.3 KB`, `4.5 MB`, `1.2 GB` (powers of 1024). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** A whole number with thousands separators: `1,234,567`. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toLocaleString('en-US');
}
