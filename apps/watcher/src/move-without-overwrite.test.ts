import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { candidateName, moveWithoutOverwrite } from './move-without-overwrite.ts';

describe('candidateName', () => {
  it('adds a counter before the extension', () => {
    expect(candidateName('report.pdf', 0)).toBe('report.pdf');
    expect(candidateName('report.pdf', 2)).toBe('report (2).pdf');
    expect(candidateName('README', 1)).toBe('README (1)');
    expect(candidateName('archive.tar.gz', 1)).toBe('archive.tar (1).gz');
  });
});

describe('moveWithoutOverwrite', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-move-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('moves into a new folder, then suffixes instead of overwriting', async () => {
    const folder = path.join(dir, 'processed');
    await writeFile(path.join(dir, 'a.txt'), 'first');
    expect(await moveWithoutOverwrite(path.join(dir, 'a.txt'), folder)).toBe(path.join(folder, 'a.txt'));
    await writeFile(path.join(dir, 'a.txt'), 'second');
    expect(await moveWithoutOverwrite(path.join(dir, 'a.txt'), folder)).toBe(path.join(folder, 'a (1).txt'));
    expect(await readFile(path.join(folder, 'a.txt'), 'utf8')).toBe('first');
    expect(await readFile(path.join(folder, 'a (1).txt'), 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['processed']);
  });

  it('keeps the name of a companion file free too', async () => {
    const folder = path.join(dir, 'failed');
    await writeFile(path.join(dir, 'x.bin'), 'bytes');
    await moveWithoutOverwrite(path.join(dir, 'x.bin'), folder);
    await rm(path.join(folder, 'x.bin'));
    await writeFile(path.join(folder, 'x.bin.error.json'), '{}');
    await writeFile(path.join(dir, 'x.bin'), 'again');
    expect(await moveWithoutOverwrite(path.join(dir, 'x.bin'), folder, { companions: ['.error.json'] })).toBe(
      path.join(folder, 'x (1).bin'),
    );
  });
});
