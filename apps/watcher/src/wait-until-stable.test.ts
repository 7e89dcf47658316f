import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitUntilStable } from './wait-until-stable.ts';

describe('waitUntilStable', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-stable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for a file that is still growing', async () => {
    const file = path.join(dir, 'growing.txt');
    await writeFile(file, 'a');
    const stable = waitUntilStable(file, 300);
    // Append from inside the polling window, so the first comparison sees a change.
    for (let index = 0; index < 5; index++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await appendFile(file, 'b');
    }
    expect((await stable)?.size).toBe(6);
  });

  it('gives undefined for a file that disappears', async () => {
    const file = path.join(dir, 'gone.txt');
    await writeFile(file, 'a');
    const stable = waitUntilStable(file, 50);
    await rm(file);
    expect(await stable).toBeUndefined();
  });
});
