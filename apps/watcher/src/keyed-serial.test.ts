import { describe, expect, it } from 'vitest';
import { createKeyedSerial } from './keyed-serial.ts';

describe('createKeyedSerial', () => {
  it('never overlaps tasks of one key, and a failure does not block the next', async () => {
    const serial = createKeyedSerial();
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = serial.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      throw new Error('boom');
    });
    const second = serial.run('a', async () => {
      log.push('a2');
    });
    const other = serial.run('b', async () => {
      log.push('b1');
    });
    await other;
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await expect(first).rejects.toThrow('boom');
    await second;
    await serial.idle();
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });
});
