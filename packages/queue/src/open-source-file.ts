import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { AegisError } from '@aegis/core';

/** Why a file was not opened for ingestion. */
export type SourceRefusal = 'symlink' | 'hard-link' | 'not-a-regular-file' | 'outside-root' | 'swapped';

export interface OpenSourceOptions {
  /**
   * What an earlier `lstat` of the same path saw: the opened file must be that one (device and inode), or
   * it was swapped in between (refusal `swapped`, worth a later retry).
   */
  expected?: Pick<Stats, 'dev' | 'ino'> | undefined;
  /** Real path of the folder the file must be in (checked on the opened descriptor). */
  root?: string | undefined;
  /**
   * Accept a file with more than one hard link. Default false: a hard link in a watched folder may point at
   * a file elsewhere (another user's, a `.env`), and its other names cannot be found; copy files in instead.
   */
  allowHardLinks?: boolean | undefined;
}

function refuse(reason: SourceRefusal, file: string, message: string): AegisError {
  return new AegisError('PATH_NOT_ALLOWED', message, { details: { reason, path: path.basename(file) } });
}

/** The refusal reason of an error from `openSourceFile`, if it is one. */
export function sourceRefusal(error: unknown): SourceRefusal | undefined {
  if (!(error instanceof AegisError) || error.code !== 'PATH_NOT_ALLOWED') return undefined;
  const reason = error.details.reason;
  return typeof reason === 'string' ? (reason as SourceRefusal) : undefined;
}

function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Opens a file for ingestion so that what was checked is what is read (no time-of-check/time-of-use gap):
 * `O_NOFOLLOW` refuses a symlink at the last component (also one swapped in after an `lstat`), `O_NONBLOCK`
 * keeps a FIFO from hanging the open, and the checks run on the opened descriptor (`fstat`): a regular file,
 * the one `expected` saw, one link only unless allowed, and (via /proc on Linux) inside `root`. The caller
 * reads through the returned handle and closes it.
 *
 * @throws AegisError `PATH_NOT_ALLOWED` with `details.reason` (symlink, hard-link, not-a-regular-file,
 *   outside-root, swapped); the file system's own errors (ENOENT...) as they are.
 */
export async function openSourceFile(
  file: string,
  options: OpenSourceOptions = {},
): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOOP')
      throw refuse(
        'symlink',
        file,
        'The file is a symbolic link; links are never followed. Copy the file in.',
      );
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw refuse(
        'not-a-regular-file',
        file,
        'Only regular files are ingested (not FIFOs, devices or sockets).',
      );
    if (options.expected && (stats.dev !== options.expected.dev || stats.ino !== options.expected.ino))
      throw refuse('swapped', file, 'The file was replaced while it was being opened.');
    if (stats.nlink > 1 && options.allowHardLinks !== true)
      throw refuse(
        'hard-link',
        file,
        'The file has other hard links, which may be outside this folder; copy the file in instead of linking it.',
      );
    if (options.root !== undefined) {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && !isInside(options.root, opened))
        throw refuse('outside-root', file, 'The file resolves outside the folder it was found in.');
    }
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
