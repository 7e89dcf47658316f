import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { AegisError } from '@aegis/core';

/** Why a knowledge-base sub-folder of the inbox was not entered. */
export type FolderRefusal = 'symlink' | 'not-a-folder' | 'swapped' | 'outside-root';

/** A sub-folder held open: paths under `path` resolve in the folder that was checked, whatever its name now is. */
export interface PinnedFolder {
  /** `/proc/self/fd/<n>` of the opened folder on Linux (an `openat` stand-in), else its checked real path. */
  path: string;
  close(): Promise<void>;
}

function refuse(reason: FolderRefusal, folder: string, message: string): AegisError {
  return new AegisError('PATH_NOT_ALLOWED', message, {
    details: { reason, path: path.basename(folder) },
  });
}

/**
 * Opens an inbox sub-folder so that nothing under it is reached through a link: `lstat` must show a plain
 * folder, the open uses `O_DIRECTORY | O_NOFOLLOW` (a link swapped in after the `lstat` fails with ELOOP), the
 * opened folder must be the one `lstat` (or `expected`) saw (device and inode, else `swapped`, worth a retry), and its real
 * path (via `/proc/self/fd`) must be `folder` itself. Files are then opened and moved through the returned
 * `path`, so a folder renamed or replaced by a link afterwards cannot redirect them. `folder` is a real path.
 *
 * @throws AegisError `PATH_NOT_ALLOWED` with `details.reason` (symlink, not-a-folder, swapped, outside-root);
 *   the file system's own errors (ENOENT...) as they are.
 */
export async function pinFolder(
  folder: string,
  /** What an earlier `lstat` of `folder` saw, when the caller checked it itself. */
  expected?: Stats | undefined,
): Promise<PinnedFolder> {
  const seen = expected ?? (await lstat(folder));
  if (seen.isSymbolicLink())
    throw refuse(
      'symlink',
      folder,
      'The knowledge-base folder is a symbolic link; links are never followed. Make it a plain folder.',
    );
  if (!seen.isDirectory()) throw refuse('not-a-folder', folder, 'Not a folder.');
  let handle: FileHandle;
  try {
    handle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw error;
    // Linux answers a link under O_DIRECTORY | O_NOFOLLOW with ENOTDIR (ELOOP without O_DIRECTORY): look again.
    const now = await lstat(folder).catch(() => undefined);
    if (code === 'ELOOP' || now?.isSymbolicLink())
      throw refuse('symlink', folder, 'The knowledge-base folder was replaced by a symbolic link.');
    throw refuse('swapped', folder, 'The folder was replaced while being opened.');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isDirectory() || stats.dev !== seen.dev || stats.ino !== seen.ino)
      throw refuse('swapped', folder, 'The folder was replaced while being opened.');
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
    if (opened !== undefined && opened !== folder)
      throw refuse('outside-root', folder, 'The knowledge-base folder resolves somewhere else.');
    const pinned = handle;
    return {
      path: opened === undefined ? folder : `/proc/self/fd/${pinned.fd}`,
      close: () => pinned.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
