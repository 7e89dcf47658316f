import { access, constants, copyFile, link, lstat, mkdir, readlink, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AegisError } from '@aegis/core';

export interface MoveOptions {
  /**
   * Suffixes of companion files that must be free too, so a moved file and its companion (for example
   * `report.pdf.error.json`) always share one name. Default none.
   */
  companions?: readonly string[] | undefined;
  /** Names tried before giving up. Default 1000. */
  maxAttempts?: number | undefined;
}

/**
 * Creates `folder` when missing and checks that it is a plain folder: `processed/` or `failed/` (or a
 * knowledge base's folder under them) replaced by a link would send files (and reports) wherever it points.
 */
export async function ensurePlainFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const folderStats = await lstat(folder);
  if (folderStats.isSymbolicLink() || !folderStats.isDirectory())
    throw new AegisError(
      'PATH_NOT_ALLOWED',
      `${folder} is not a plain folder (a link?); nothing is moved into it.`,
      {
        details: { reason: 'symlink', path: path.basename(folder) },
      },
    );
}

/** `report.pdf`, then `report (1).pdf`, `report (2).pdf`, ... */
export function candidateName(name: string, attempt: number): string {
  if (attempt === 0) return name;
  const extension = path.extname(name);
  const stem = extension === name ? name : name.slice(0, name.length - extension.length);
  return `${stem} (${attempt})${extension}`;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/**
 * Moves `file` into `folder` under its own name, or with a ` (n)` suffix when that name is taken. Never
 * overwrites: a hard link fails atomically when the target exists (a plain rename would silently replace
 * it). Where hard links are not possible (another device, some network or container mounts) it copies with
 * `COPYFILE_EXCL`, which is just as strict. Returns the new path.
 */
export async function moveWithoutOverwrite(
  file: string,
  folder: string,
  options: MoveOptions = {},
): Promise<string> {
  const companions = options.companions ?? [];
  const maxAttempts = options.maxAttempts ?? 1000;
  await ensurePlainFolder(folder);
  // A link is moved as a link: copying it (the cross-device fallback) would read what it points at; a file
  // with other hard links (refused by the watcher) is never copied either.
  const source = await lstat(file);
  const isLink = source.isSymbolicLink();
  const mayCopy = !isLink && source.nlink === 1;
  const name = path.basename(file);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const target = path.join(folder, candidateName(name, attempt));
    if (await anyExists(companions.map((suffix) => `${target}${suffix}`))) continue;
    try {
      await link(file, target);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') continue;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
      try {
        if (isLink) await symlink(await readlink(file), target);
        else if (mayCopy) await copyFile(file, target, constants.COPYFILE_EXCL);
        else throw error;
      } catch (copyError) {
        if (errorCode(copyError) === 'EEXIST') continue;
        throw copyError;
      }
    }
    await unlink(file);
    return target;
  }
  throw new Error(`no free name for ${name} in ${folder} after ${maxAttempts} attempts`);
}

async function anyExists(paths: readonly string[]): Promise<boolean> {
  for (const candidate of paths) {
    const exists = await access(candidate).then(
      () => true,
      () => false,
    );
    if (exists) return true;
  }
  return false;
}
