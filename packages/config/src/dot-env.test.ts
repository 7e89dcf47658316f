import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDotEnv } from './dot-env.ts';

describe('loadDotEnv', () => {
  const keys = ['AEGIS_DOTENV_A', 'AEGIS_DOTENV_B'];
  let dir = '';
  afterEach(async () => {
    for (const key of keys) delete process.env[key];
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads .env from the working directory without overriding the real environment', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dotenv-'));
    await writeFile(path.join(dir, '.env'), 'AEGIS_DOTENV_A=from-file\nAEGIS_DOTENV_B=from-file\n');
    process.env.AEGIS_DOTENV_A = 'from-env';
    expect(loadDotEnv({ cwd: dir })).toBe(path.join(dir, '.env'));
    expect(process.env.AEGIS_DOTENV_A).toBe('from-env');
    expect(process.env.AEGIS_DOTENV_B).toBe('from-file');
  });

  it('is a no-op without a .env, and refuses a named file that does not exist', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dotenv-'));
    expect(loadDotEnv({ cwd: dir })).toBeUndefined();
    expect(() => loadDotEnv({ cwd: dir, file: 'missing.env' })).toThrow(/ENOENT|no such file/);
  });
});
