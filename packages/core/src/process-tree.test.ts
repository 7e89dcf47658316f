import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { childPids, descendantPids } from './process-tree.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
});

/** A shell that starts a grandchild (`sleep`) and prints its pid. */
async function shellWithGrandchild(): Promise<{ shell: number; grandchild: number }> {
  const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
  started.push(child);
  const grandchild = await new Promise<number>((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  return { shell: child.pid as number, grandchild };
}

describe('process tree from /proc', () => {
  it('finds children directly, and children of children below any of several roots', async () => {
    const a = await shellWithGrandchild();
    const b = await shellWithGrandchild();
    expect(childPids(process.pid)).toEqual(expect.arrayContaining([a.shell, b.shell]));
    expect(childPids(process.pid)).not.toContain(a.grandchild);
    expect(descendantPids(process.pid)).toEqual(
      expect.arrayContaining([a.shell, a.grandchild, b.shell, b.grandchild]),
    );
    expect(descendantPids(a.shell, b.shell).sort()).toEqual([a.grandchild, b.grandchild].sort());
    expect(descendantPids(a.grandchild)).toEqual([]);
  });

  it('a pid that does not exist has no descendants', () => {
    expect(descendantPids(2 ** 22 + 12_345)).toEqual([]);
    expect(childPids(2 ** 22 + 12_345)).toEqual([]);
  });
});
