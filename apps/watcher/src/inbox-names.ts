/** Why a name in the inbox is not a document to ingest. */
export type SkipReason = 'hidden' | 'temporary';

// Names that browsers, editors, Office and copy tools use while a file is still being written.
const TEMPORARY_SUFFIXES = ['.tmp', '.temp', '.part', '.partial', '.crdownload', '.download', '.swp', '.swx'];

/**
 * Whether a file name in the inbox should be left alone, and why; `undefined` for a name to ingest.
 * Hidden names (leading dot) cover editor swap files such as `.notes.md.swp` and OS litter like `.DS_Store`.
 */
export function skipReason(name: string): SkipReason | undefined {
  if (name.startsWith('.')) return 'hidden';
  const lower = name.toLowerCase();
  if (lower.startsWith('~$') || lower.endsWith('~')) return 'temporary';
  if (TEMPORARY_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return 'temporary';
  return undefined;
}
