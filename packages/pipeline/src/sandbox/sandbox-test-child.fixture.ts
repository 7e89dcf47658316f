// A sandbox process entry for the pool's own tests: operations that misbehave on purpose (allocate native or
// heap memory, spin, crash), served by the same loop as the real entry (sandbox-child.ts).
import { spawn } from 'node:child_process';
import { AegisError, type ErrorCode } from '@aegis/core';
import { serveSandbox } from './sandbox-serve.ts';

const MIB = 1024 * 1024;
const kept: unknown[] = [];

serveSandbox({
  echo: async (request: { text: string }) => request.text,
  /** Steps `count` times, `ms` apart, so a step timer that restarts on each step never fires. */
  steps: async (request: { count: number; ms: number }, context) => {
    for (let i = 1; i <= request.count; i++) {
      context.step(`Step ${i}`);
      await new Promise((resolve) => setTimeout(resolve, request.ms));
    }
    return request.count;
  },
  spin: async () => {
    for (;;) {
      // A parser caught in a loop that never yields.
    }
  },
  /** Native memory outside the V8 heap, in chunks, as zlib or libvips allocate it. */
  native: async (request: { mb: number; chunkMb: number }) => {
    const chunks: Buffer[] = [];
    for (let total = 0; total < request.mb; total += request.chunkMb)
      chunks.push(Buffer.alloc(request.chunkMb * MIB, 1));
    return chunks.length;
  },
  /** One allocation of `mb` at once, as a parser trusting a declared size would make. */
  huge: async (request: { mb: number }) => new Uint8Array(request.mb * MIB).length,
  /** JavaScript objects until the heap cap. */
  heap: async () => {
    const objects: unknown[] = [];
    for (;;) objects.push({ index: objects.length, text: `entry ${objects.length}` });
  },
  /** Leaves `mb` allocated after the task, as a fragmented heap would. */
  retain: async (request: { mb: number }) => {
    kept.push(Buffer.alloc(request.mb * MIB, 1));
    return kept.length;
  },
  crash: async () => {
    process.kill(process.pid, 'SIGSEGV');
    await new Promise(() => {});
  },
  fail: async (request: { code: ErrorCode }) => {
    throw new AegisError(request.code, `failed with ${request.code}`);
  },
  env: async () => Object.keys(process.env).sort(),
  pid: async () => process.pid,
  /** Starts a child process holding `mb` (as the OCR engine's process is started), answers once it holds it. */
  child: async (request: { mb: number }) => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `globalThis.b = Buffer.alloc(${request.mb} * 1048576, 1); process.stdout.write('ok'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    kept.push(child);
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    return child.pid;
  },
});
