/** One RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote, CR or LF; null = empty. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One RFC 4180 record, terminated by CRLF. */
export function csvRecord(values: ReadonlyArray<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
