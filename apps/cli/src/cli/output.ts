/** One column of a printed table: its heading, how to read the cell, and its alignment. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
  /** Numbers and money read best right-aligned. Default left. */
  align?: 'left' | 'right';
}

/**
 * Plain aligned columns (no index column, no box drawing): readable in a terminal, greppable in a pipe.
 * An empty list prints `empty` instead, so a person never stares at nothing.
 */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((column) => String(column.value(row) ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...cells.map((line) => line[index]?.length ?? 0)),
  );
  const render = (line: readonly string[]): string =>
    line
      .map((cell, index) => {
        const width = widths[index] ?? 0;
        return columns[index]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n');
}

/** Writes results the way the caller asked: JSON (one document on stdout) or text for people. */
export interface Output {
  readonly json: boolean;
  /** Prints `value` as JSON under --json, else calls `human` (which prints text). */
  result(value: unknown, human: () => void): void;
  /** A line for people; suppressed under --json so stdout stays one JSON document. */
  info(line: string): void;
  /** A warning on stderr, in both modes. */
  warn(line: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    result(value, human) {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    info(line) {
      if (!json) process.stdout.write(`${line}\n`);
    },
    warn(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}
