import { describe, expect, it } from 'vitest';
import { boundedReader } from './bounded-reader.ts';

describe('boundedReader', () => {
  it('shares one read between concurrent callers and caches the result', async () => {
    let calls = 0;
    let clock = 0;
    const read = boundedReader(
      async () => {
        calls += 1;
        return calls;
      },
      { timeoutMs: 1_000, cacheMs: 100, now: () => clock },
    );
    const [a, b] = await Promise.all([read(), read()]);
    expect(a).toEqual({ ok: true, value: 1 });
    expect(b).toEqual({ ok: true, value: 1 });
    clock = 99;
    expect(await read()).toEqual({ ok: true, value: 1 });
    clock = 100;
    expect(await read()).toEqual({ ok: true, value: 2 });
  });

  it('turns a rejected read into a failure result', async () => {
    const read = boundedReader(() => Promise.reject(new Error('down')), { timeoutMs: 1_000, cacheMs: 0 });
    const result = await read();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toBe('down');
  });

  it('gives up after the timeout and starts no second read while the first still runs', async () => {
    let calls = 0;
    let finish: (value: number) => void = () => {};
    const read = boundedReader(
      () => {
        calls += 1;
        return new Promise<number>((resolve) => {
          finish = resolve;
        });
      },
      { timeoutMs: 20, cacheMs: 0 },
    );
    const first = await read();
    expect(first.ok).toBe(false);
    if (!first.ok) expect(first.error.message).toMatch(/timed out after 20 ms/);
    const second = await read();
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.message).toMatch(/still running/);
    expect(calls).toBe(1);
    finish(7);
    await new Promise((resolve) => setImmediate(resolve));
    // The stuck read finished; the next scrape reads again.
    const third = read();
    finish(8);
    expect(await third).toEqual({ ok: true, value: 8 });
    expect(calls).toBe(2);
  });
});
