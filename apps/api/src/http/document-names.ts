import type pg from 'pg';

/** File names of documents by id, for views that must answer synchronously (Bull Board's job formatters). */
export interface DocumentNames {
  /** The file name when known; an unknown id is looked up in the background for the next call. */
  nameOf(documentId: string): string | undefined;
  close(): void;
}

const MAX_ENTRIES = 10_000;

/**
 * A bounded cache filled two ways: the most recently updated documents every `refreshMs`, and any id asked for
 * but not known (batched on the next tick). Bull Board polls every few seconds, so a job shows its file name at
 * the latest one poll after it appears. Lookup failures are ignored: a name is a convenience, the id stays.
 */
export function createDocumentNames(pool: pg.Pool, refreshMs = 5_000): DocumentNames {
  const names = new Map<string, string>();
  const missing = new Set<string>();
  let scheduled = false;
  const remember = (rows: Array<{ id: string; display_name: string }>) => {
    for (const row of rows) {
      names.delete(row.id);
      names.set(row.id, row.display_name);
    }
    while (names.size > MAX_ENTRIES) {
      const oldest = names.keys().next().value;
      if (oldest === undefined) break;
      names.delete(oldest);
    }
  };
  const refresh = () =>
    pool
      .query<{ id: string; display_name: string }>(
        'SELECT id, display_name FROM documents ORDER BY updated_at DESC LIMIT 500',
      )
      .then(
        (result) => remember(result.rows.reverse()),
        () => {},
      );
  const lookUpMissing = () => {
    scheduled = false;
    const ids = [...missing].slice(0, 1_000);
    for (const id of ids) missing.delete(id);
    void pool
      .query<{ id: string; display_name: string }>(
        'SELECT id, display_name FROM documents WHERE id = ANY($1)',
        [ids],
      )
      .then(
        (result) => remember(result.rows),
        () => {},
      );
  };
  void refresh();
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  return {
    nameOf(documentId) {
      const name = names.get(documentId);
      if (name === undefined && !missing.has(documentId)) {
        missing.add(documentId);
        if (!scheduled) {
          scheduled = true;
          setImmediate(lookUpMissing);
        }
      }
      return name;
    },
    close() {
      clearInterval(timer);
    },
  };
}
