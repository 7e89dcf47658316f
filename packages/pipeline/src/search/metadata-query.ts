import { AegisError, type MetadataScalar } from '@aegis/core';

/**
 * What a textual metadata filter value (from a URL or the command line) stands for: each comma-separated
 * alternative as text, plus its number or boolean reading where it has one, so `year=2024` matches a stored
 * `2024` as well as `"2024"`.
 */
export function metadataValues(raw: string): MetadataScalar[] {
  const values: MetadataScalar[] = [];
  for (const part of raw.split(',')) {
    const text = part.trim();
    if (text === '') continue;
    values.push(text);
    if (text === 'true' || text === 'false') values.push(text === 'true');
    else if (/^-?\d+(\.\d+)?$/.test(text)) values.push(Number(text));
  }
  return values;
}

/** `field=value[,value]` pairs (the CLI's repeated `--meta`) as a metadata filter. */
export function metadataFilterOf(pairs: readonly string[]): Record<string, MetadataScalar[]> {
  const filter: Record<string, MetadataScalar[]> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0)
      throw new AegisError('VALIDATION_FAILED', `a metadata filter is field=value, got "${pair}"`);
    const field = pair.slice(0, separator).trim();
    filter[field] = [...(filter[field] ?? []), ...metadataValues(pair.slice(separator + 1))];
  }
  return filter;
}
