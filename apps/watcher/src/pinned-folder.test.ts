import { lstat, mkdir, mkdtemp, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sourceRefusal } from '@aegis/queue';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pinFolder } from './pinned-folder.ts';

describe('pinFolder', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-pin-')));
    outside = path.join(root, 'outside');
    await mkdir(path.join(root, 'inbox', 'finance'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'inbox', 'finance', 'q3.md'), 'inside');
    await writeFile(path.join(outside, 'q3.md'), 'SECRET');
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
    return promise.then(
      () => 'pinned',
      (error: unknown) => sourceRefusal(error),
    );
  }

  it('reaches files of a plain folder through the descriptor it holds', async () => {
    const folder = path.join(root, 'inbox', 'finance');
    const pinned = await pinFolder(folder);
    try {
      expect(await readFile(path.join(pinned.path, 'q3.md'), 'utf8')).toBe('inside');
    } finally {
      await pinned.close();
    }
  });

  it('refuses a folder that is a symbolic link (PATH_NOT_ALLOWED, symlink)', async () => {
    const link = path.join(root, 'inbox', 'linked');
    await symlink(outside, link);
    expect(await refusal(pinFolder(link))).toBe('symlink');
  });

  it('refuses a folder swapped for a link between the check (lstat) and the open', async () => {
    const folder = path.join(root, 'inbox', 'finance');
    const checked = await lstat(folder);
    await rename(folder, path.join(root, 'finance-away'));
    await symlink(outside, folder);
    expect(await refusal(pinFolder(folder, checked))).toBe('symlink');
  });

  it('refuses a folder replaced by another plain folder between the check and the open (swapped)', async () => {
    const folder = path.join(root, 'inbox', 'finance');
    const checked = await lstat(folder);
    await rename(folder, path.join(root, 'finance-away'));
    await mkdir(folder);
    expect(await refusal(pinFolder(folder, checked))).toBe('swapped');
  });

  it('keeps reading the checked folder after its name is swapped for a link', async () => {
    const folder = path.join(root, 'inbox', 'finance');
    const pinned = await pinFolder(folder);
    try {
      await rename(folder, path.join(root, 'finance-away'));
      await symlink(outside, folder);
      expect(await readFile(path.join(pinned.path, 'q3.md'), 'utf8')).toBe('inside');
    } finally {
      await pinned.close();
    }
  });

  it('refuses a path whose parent is a link (the real path differs)', async () => {
    await symlink(path.join(root, 'inbox'), path.join(root, 'inbox-link'));
    expect(await refusal(pinFolder(path.join(root, 'inbox-link', 'finance')))).toBe('outside-root');
  });

  it('refuses a file where a folder was expected', async () => {
    expect(await refusal(pinFolder(path.join(root, 'inbox', 'finance', 'q3.md')))).toBe('not-a-folder');
  });
});
