import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendantPids } from '@aegis/core';

/** Memory of one process as the kernel counts it, in bytes. */
export interface ProcessMemory {
  /** Resident set: what the process holds in RAM now (heap, native buffers, code). */
  rssBytes: number;
  /** Highest resident set since the process started (VmHWM). */
  peakRssBytes: number;
  /** Private writable mappings (VmData): what RLIMIT_DATA bounds, reservations included. */
  dataBytes: number;
}

const FIELDS = /^(VmRSS|VmHWM|VmData):\s+(\d+) kB$/gm;

/**
 * Reads `/proc/<pid>/status`. Undefined where there is no procfs (not Linux) or the process is gone. Cheap
 * (a few microseconds), so the sandbox watchdog can sample busy processes many times a second.
 */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const memory: ProcessMemory = { rssBytes: 0, peakRssBytes: 0, dataBytes: 0 };
  for (const [, field, kib] of status.matchAll(FIELDS)) {
    const bytes = Number(kib) * 1024;
    if (field === 'VmRSS') memory.rssBytes = bytes;
    else if (field === 'VmHWM') memory.peakRssBytes = bytes;
    else memory.dataBytes = bytes;
  }
  return memory;
}

/**
 * Resident memory of every process below the given ones (children and their children: the OCR process a sandbox
 * starts), bytes; 0 where there is no procfs.
 */
export function descendantsRssBytes(pids: ReadonlySet<number>): number {
  let total = 0;
  for (const below of descendantPids(...pids)) total += readProcessMemory(below)?.rssBytes ?? 0;
  return total;
}

/**
 * Sets RLIMIT_DATA (soft and hard) of a running process with util-linux `prlimit`: Node has no setrlimit,
 * and a limit set before exec would have to cover V8's start-up reservations, which differ per build. Since
 * Linux 4.7 the limit covers every private writable mapping, so malloc (libvips, zlib), ArrayBuffer backing
 * stores and V8 heap pages all fail to allocate past it, where a heap cap alone sees only the V8 heap.
 *
 * @returns false when it could not be applied (no prlimit, not Linux); the RSS watchdog still bounds the
 *   process then, only later.
 */
export function limitDataSegment(pid: number, bytes: number): Promise<boolean> {
  const limit = String(Math.floor(bytes));
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--data=${limit}:${limit}`], { timeout: 5_000 }, (error) =>
      resolve(error === null),
    );
  });
}
