import path from 'node:path';
import { KNOWLEDGE_BASE_NAME } from '@aegis/core';

/** Why a name in the inbox is not a document to ingest. */
export type SkipReason = 'hidden' | 'temporary' | 'nested-folder';

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

/** Where a file sits in the inbox: directly in it (knowledge base `default`) or in a knowledge-base sub-folder. */
export type InboxPlace =
  | { folder: undefined; name: string }
  | { folder: string; name: string }
  /** Deeper than one sub-folder: never watched, never read. */
  | { folder: null; name: string };

/** The place of `file` (a path under `inboxDir`, as the file watcher reports it). */
export function inboxPlace(inboxDir: string, file: string): InboxPlace {
  const parts = path.relative(inboxDir, file).split(path.sep);
  const name = parts.at(-1) ?? '';
  if (parts.length === 1) return { folder: undefined, name };
  if (parts.length === 2 && parts[0] !== '..' && parts[0] !== '') return { folder: parts[0] as string, name };
  return { folder: null, name };
}

/**
 * Why a sub-folder of the inbox is not a knowledge base to ingest into: `hidden`/`temporary` folders are left
 * alone like such files; `invalid-name` folders (not a {@link KNOWLEDGE_BASE_NAME}) have their files filed
 * under `failed/` with a report. `undefined` for a folder whose files go to the knowledge base of its name.
 */
export function folderRefusal(folder: string): SkipReason | 'invalid-name' | undefined {
  const skip = skipReason(folder);
  if (skip) return skip;
  return KNOWLEDGE_BASE_NAME.test(folder) ? undefined : 'invalid-name';
}
