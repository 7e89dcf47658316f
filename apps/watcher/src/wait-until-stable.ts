import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves with the entry's own stats (`lstat`: a symlink is not followed) once its size and modification
 * time stayed the same for `stableMs`, or
 * `undefined` when it disappeared. chokidar's `awaitWriteFinish` does this for files that appear while it
 * watches, but not for files found by its initial scan, which may still be mid-copy after a restart.
 */
export async function waitUntilStable(
  file: string,
  stableMs: number,
  signal?: AbortSignal,
): Promise<Stats | undefined> {
  let previous = await lstat(file).catch(() => undefined);
  while (previous) {
    await sleep(stableMs, undefined, { signal });
    const current = await lstat(file).catch(() => undefined);
    if (current && current.size === previous.size && current.mtimeMs === previous.mtimeMs) return current;
    previous = current;
  }
  return undefined;
}
