/**
 * Preloaded into the measured worker with `--import` (only with `--probe`): appends the main thread's
 * `process.memoryUsage()` to AEGIS_BENCH_MEMORY_LOG every 200 ms, to tell V8 heap, external/ArrayBuffer and
 * native (RSS minus those) memory apart. The worker's own code is not changed.
 */
import { appendFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.AEGIS_BENCH_MEMORY_LOG;
if (isMainThread && file) {
  const timer = setInterval(() => {
    appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...process.memoryUsage() })}\n`);
  }, 200);
  timer.unref();
}
