/** Joins the distinct descriptions of an entity (`a | b | c`). */
export const DESCRIPTION_SEPARATOR = ' | ';
/** Longest merged description kept, in characters; a node with every sentence ever said about it grows forever. */
export const MAX_DESCRIPTION_LENGTH = 1000;

/**
 * Merges two `' | '`-joined description lists: distinct non-empty parts (trimmed), first occurrence
 * first, each added in order while the result stays within `maxLength`; a part that does not fit is
 * skipped, and a first part longer than `maxLength` is cut. The same rule runs in SQL
 * (`graph_merge_description`, lite-graph-store migration) and in Cypher (`MERGE_ENTITIES`), so both
 * adapters store the same text; this copy merges duplicates within one write batch.
 */
export function mergeDescriptions(
  existing: string,
  incoming: string,
  maxLength = MAX_DESCRIPTION_LENGTH,
): string {
  const seen = new Set<string>();
  let result = '';
  for (const raw of [...existing.split(DESCRIPTION_SEPARATOR), ...incoming.split(DESCRIPTION_SEPARATOR)]) {
    const part = raw.trim();
    if (part === '' || seen.has(part)) continue;
    seen.add(part);
    if (result === '') result = part.slice(0, maxLength);
    else if (result.length + DESCRIPTION_SEPARATOR.length + part.length <= maxLength) {
      result += DESCRIPTION_SEPARATOR + part;
    }
  }
  return result;
}
