import { constants } from 'node:fs';
import { type FileHandle, open, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AegisError } from '@aegis/core';

/** True when `candidate` is `root` or below it (both real, absolute paths). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function notAllowed(requested: string): AegisError {
  return new AegisError(
    'PATH_NOT_ALLOWED',
    'The path is outside the folders this server may ingest from (INGEST_PATH_ROOTS).',
    { details: { path: requested } },
  );
}

/** The real paths of the configured roots; roots that do not exist are dropped (nothing can be inside them). */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  return resolved.filter((root): root is string => root !== undefined);
}

/**
 * Opens a server file for ingestion only if its real path (every `..` and symlink resolved) lies inside one
 * of the real roots (O_NONBLOCK: a FIFO cannot hang the request). The check is repeated on the opened descriptor (via /proc on Linux), so swapping a
 * path component for a symlink between the check and the open cannot smuggle in an outside file.
 *
 * @throws AegisError `VALIDATION_FAILED` (not absolute, not a file), `PATH_NOT_ALLOWED`, `NOT_FOUND`.
 */
export async function openIngestPath(
  requested: string,
  roots: readonly string[],
): Promise<{ realPath: string; handle: FileHandle }> {
  if (!path.isAbsolute(requested))
    throw new AegisError('VALIDATION_FAILED', 'path must be absolute', { details: { path: requested } });
  if (roots.length === 0) throw notAllowed(requested);
  let realPath: string;
  try {
    realPath = await realpath(requested);
  } catch {
    // Say "not found" only inside a root, so the API cannot be used to probe for files elsewhere.
    const lexical = path.resolve(requested);
    if (roots.some((root) => isInside(root, lexical)))
      throw new AegisError('NOT_FOUND', 'No such file.', { details: { path: requested } });
    throw notAllowed(requested);
  }
  if (!roots.some((root) => isInside(root, realPath))) throw notAllowed(requested);

  const handle = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realPath);
    if (!roots.some((root) => isInside(root, opened))) throw notAllowed(requested);
    const stats = await handle.stat();
    if (!stats.isFile())
      throw new AegisError('VALIDATION_FAILED', 'path is not a regular file', {
        details: { path: requested },
      });
    // A hard link inside a root may be another name of a file outside it (ADR 014): refused, like the watcher does.
    if (stats.nlink > 1)
      throw new AegisError(
        'PATH_NOT_ALLOWED',
        'The file has other hard links, which may be outside the ingest roots; copy it into a root instead.',
        { details: { path: requested, reason: 'hard-link' } },
      );
    return { realPath, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
