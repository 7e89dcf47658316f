import type { ChildProcess } from 'node:child_process';
import { limitDataSegment, readProcessMemory } from './process-memory.ts';
import type { SandboxChildMessage } from './sandbox-protocol.ts';

/** Share of a process's remaining room (cap minus resident set at start) that RLIMIT_DATA grants. */
const DATA_LIMIT_SHARE = 0.9;

/**
 * Waits for a new sandbox process to load its parsers, then caps its data segment at its footprint now plus
 * 90% of what is left of `memoryLimitBytes` after its resident set: `VmData + 0.9 (limit - VmRSS)`. VmData counts
 * reservations V8 and native libraries made at start-up but have not touched, so a fixed limit would either
 * refuse to start Node or leave hundreds of MiB of slack; measured this way, the first allocation that would
 * take the process past its cap fails at once. Resolves with the limit set, or undefined where none could be
 * set (no /proc or prlimit); rejects if the process ends first.
 */
export function startSandboxProcess(
  pid: number,
  child: ChildProcess,
  memoryLimitBytes: number,
): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const onExit = (): void => reject(new Error('the process ended before it was ready'));
    const onMessage = (message: SandboxChildMessage): void => {
      if (message.type !== 'ready') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      const memory = readProcessMemory(pid);
      if (memory === undefined) {
        resolve(undefined);
        return;
      }
      // 10% of the room is kept back for what RLIMIT_DATA cannot see: code pages mapped later, and
      // reservations made before the limit that are touched afterwards (the watchdog covers the rest).
      const room = Math.max(0, memoryLimitBytes - memory.rssBytes) * DATA_LIMIT_SHARE;
      const limit = memory.dataBytes + room;
      void limitDataSegment(pid, limit).then((applied) => resolve(applied ? limit : undefined));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
