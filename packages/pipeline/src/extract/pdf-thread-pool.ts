import { Worker } from 'node:worker_threads';
import { AegisError, ERROR_CODES, type ErrorCode } from '@aegis/core';
import type { ExtractedDocument } from './extracted-document.ts';
import type { PdfInfo } from './pdf-extract.ts';
import type {
  PdfExtractRequest,
  PdfInspectRequest,
  PdfThreadMessage,
  PdfThreadRequest,
  PdfThreadTask,
  SerializedError,
} from './pdf-thread-protocol.ts';

/** Old-generation heap of each PDF thread, in MiB. A hostile file that needs more fails instead of the process. */
export const DEFAULT_PDF_THREAD_HEAP_MB = 1024;
/** How long an idle thread is kept for the next document, in ms. */
export const DEFAULT_PDF_THREAD_IDLE_MS = 60_000;
/** Documents a thread handles before it is replaced, to bound heap fragmentation and any pdf.js leak. */
export const DEFAULT_PDF_THREAD_MAX_TASKS = 50;
/** Extra time for a new thread's first step: starting the thread and loading pdf.js, in ms. */
const STARTUP_GRACE_MS = 5_000;

/** Options of {@link createPdfThreadPool}. */
export interface PdfThreadPoolOptions {
  /** Threads at most; more requests wait in FIFO order. Default 1. */
  size?: number | undefined;
  /** Old-generation heap limit of each thread, MiB. Default {@link DEFAULT_PDF_THREAD_HEAP_MB}. */
  maxHeapMb?: number | undefined;
  /** An idle thread exits after this many ms. Default {@link DEFAULT_PDF_THREAD_IDLE_MS}. */
  idleTimeoutMs?: number | undefined;
  /** A thread is replaced after this many tasks. Default {@link DEFAULT_PDF_THREAD_MAX_TASKS}. */
  maxTasksPerThread?: number | undefined;
}

/** Options of one {@link PdfThreadPool.run}. */
export interface PdfThreadRunOptions {
  /**
   * Wall-clock limit per step (opening, each page) enforced from the main thread, ms; a new thread's first
   * step gets 5,000 ms more for start-up. Default: the request's `limits.pageTimeoutMs` (which also bounds the
   * thread's own, cooperative timers).
   */
  pageTimeoutMs?: number | undefined;
  /** Aborting removes a queued request, or stops a running one by terminating its thread (`CANCELLED`). */
  signal?: AbortSignal | undefined;
}

/** Counters of a pool, for tests and metrics. */
export interface PdfThreadPoolStats {
  /** Threads started since the pool was created. */
  threadsStarted: number;
  /** Threads alive now (busy or idle). */
  threadsAlive: number;
  /** Threads terminated because their task timed out, crashed, ran out of heap or was aborted. */
  threadsKilled: number;
  /** Tasks that ended (resolved or rejected) on a thread. */
  tasksRun: number;
  /** Tasks running now. */
  running: number;
  /** Tasks waiting for a thread. */
  queued: number;
}

/**
 * Reusable worker threads that run pdf.js. Why threads at all: pdf.js in Node has no worker of its own (it
 * runs a "fake worker" in the calling thread), and its evaluator can spin in long synchronous or
 * microtask-only loops on hostile input (operator_list_cycle.pdf grows without bound): a timer in the same
 * thread never gets to fire. From here the page timer always fires, `terminate()` really stops the work, and
 * the thread's heap limit turns a memory blow-up into an error instead of a crashed process. Why a pool:
 * starting a thread and loading pdf.js into it costs ~1.6 s, more than extracting a typical paper.
 *
 * Why not piscina (which does terminate a running task's thread on abort, and has heap limits and idle
 * timeouts): the timer here is per step, re-armed by the thread's progress messages, so piscina would need a
 * MessagePort side channel per task anyway; it has no "replace a thread after N tasks" to bound heap growth in
 * a long-lived pdf.js isolate; and the pool is ~200 lines over node:worker_threads with no new dependency.
 */
export interface PdfThreadPool {
  /**
   * Runs one request on a free thread, or queues it (FIFO). A step over the page timeout, an out-of-heap or
   * a crash terminates that thread; the next request gets a fresh one. The request's bytes are copied once
   * and the copy is transferred, so the caller keeps its buffer.
   *
   * @throws AegisError `EXTRACTION_TIMEOUT`, `PDF_INVALID` (heap limit), `CANCELLED` (signal or `close()`),
   *   `INTERNAL` (thread crash), or any code the extractor throws.
   */
  run(request: PdfExtractRequest, options?: PdfThreadRunOptions): Promise<ExtractedDocument>;
  run(request: PdfInspectRequest, options?: PdfThreadRunOptions): Promise<PdfInfo>;
  stats(): PdfThreadPoolStats;
  /** Rejects queued and running requests with `CANCELLED` and ends every thread. Idempotent. */
  close(): Promise<void>;
}

interface Task {
  id: number;
  request: PdfThreadRequest;
  pageTimeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve: (value: ExtractedDocument | PdfInfo) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  task: Task | undefined;
  tasksRun: number;
  step: string;
  stepTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  gone: boolean;
}

const ENTRY = new URL('./pdf-thread-entry.ts', import.meta.url);

/** Creates a {@link PdfThreadPool}. Threads start on demand and are not kept alive by an idle pool. */
export function createPdfThreadPool(options: PdfThreadPoolOptions = {}): PdfThreadPool {
  const size = Math.max(1, Math.floor(options.size ?? 1));
  const maxHeapMb = options.maxHeapMb ?? DEFAULT_PDF_THREAD_HEAP_MB;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_PDF_THREAD_IDLE_MS;
  const maxTasksPerThread = Math.max(1, options.maxTasksPerThread ?? DEFAULT_PDF_THREAD_MAX_TASKS);
  const threads = new Set<Thread>();
  const queue: Task[] = [];
  const exiting = new Set<Promise<unknown>>();
  const counters = { threadsStarted: 0, threadsKilled: 0, tasksRun: 0 };
  let nextId = 1;
  let closed = false;

  const start = (): Thread => {
    const worker = new Worker(ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      stdout: false,
      stderr: false,
    });
    const thread: Thread = {
      worker,
      task: undefined,
      tasksRun: 0,
      step: '',
      stepTimer: undefined,
      idleTimer: undefined,
      gone: false,
    };
    counters.threadsStarted++;
    threads.add(thread);
    worker.on('message', (message: PdfThreadMessage) => onMessage(thread, message));
    worker.on('error', (error: Error & { code?: string }) => {
      const failure =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new AegisError(
              'PDF_INVALID',
              `Reading the PDF exhausted the extraction memory limit (${maxHeapMb} MiB) at ${thread.step.toLowerCase()}; the file is malformed or hostile.`,
              { cause: error },
            )
          : new AegisError('INTERNAL', `The PDF extraction thread failed: ${error.message}`, {
              cause: error,
            });
      kill(thread, failure);
    });
    worker.on('exit', (code) => {
      kill(thread, new AegisError('INTERNAL', `The PDF extraction thread exited early (code ${code}).`));
    });
    return thread;
  };

  /** Ends a thread; its running task, if any, fails with `reason`. Later events of the thread are ignored. */
  const kill = (thread: Thread, reason: unknown): void => {
    if (thread.gone) return;
    thread.gone = true;
    threads.delete(thread);
    clearTimeout(thread.idleTimer);
    const task = thread.task;
    if (task !== undefined) {
      counters.threadsKilled++;
      finish(thread, task, () => task.reject(reason));
    }
    const exit = thread.worker.terminate().catch(() => undefined);
    exiting.add(exit);
    void exit.finally(() => exiting.delete(exit));
    dispatch();
  };

  const finish = (thread: Thread, task: Task, outcome: () => void): void => {
    clearTimeout(thread.stepTimer);
    task.signal?.removeEventListener('abort', task.onAbort);
    thread.task = undefined;
    thread.tasksRun++;
    counters.tasksRun++;
    outcome();
  };

  const armStep = (thread: Thread, task: Task, ms: number): void => {
    clearTimeout(thread.stepTimer);
    thread.stepTimer = setTimeout(() => {
      kill(
        thread,
        new AegisError(
          'EXTRACTION_TIMEOUT',
          `${thread.step} took longer than ${task.pageTimeoutMs} ms; extraction was stopped.`,
          { details: { timeoutMs: task.pageTimeoutMs, step: thread.step } },
        ),
      );
    }, ms);
  };

  const assign = (thread: Thread, task: Task): void => {
    clearTimeout(thread.idleTimer);
    thread.task = task;
    thread.step = 'Opening the PDF';
    thread.worker.ref();
    armStep(thread, task, task.pageTimeoutMs + (thread.tasksRun === 0 ? STARTUP_GRACE_MS : 0));
    // One copy, transferred: the caller keeps its bytes, the thread gets its own without a second copy.
    // (`new Uint8Array(view)` always copies; a Buffer's `slice()` would share the caller's memory.)
    const data = new Uint8Array(task.request.data);
    const message: PdfThreadTask = { type: 'task', id: task.id, request: { ...task.request, data } };
    thread.worker.postMessage(message, [data.buffer]);
  };

  const dispatch = (): void => {
    while (queue.length > 0 && !closed) {
      let free: Thread | undefined;
      for (const thread of threads) {
        if (thread.task === undefined) {
          free = thread;
          break;
        }
      }
      if (free === undefined && threads.size < size) free = start();
      if (free === undefined) return;
      assign(free, queue.shift() as Task);
    }
  };

  const release = (thread: Thread): void => {
    if (thread.tasksRun >= maxTasksPerThread) {
      kill(thread, undefined);
      return;
    }
    // An idle thread must not keep the process alive, nor live forever.
    thread.worker.unref();
    thread.idleTimer = setTimeout(() => kill(thread, undefined), idleTimeoutMs);
    thread.idleTimer.unref();
    dispatch();
  };

  const onMessage = (thread: Thread, message: PdfThreadMessage): void => {
    const task = thread.task;
    if (thread.gone || task === undefined || message.id !== task.id) return;
    if (message.type === 'progress') {
      thread.step = `Page ${message.pageNumber}`;
      armStep(thread, task, task.pageTimeoutMs);
      return;
    }
    if (message.type === 'result') {
      finish(thread, task, () => task.resolve(message.value));
      release(thread);
      return;
    }
    const error = rebuildError(message.error);
    finish(thread, task, () => task.reject(error));
    // A step that timed out inside the thread may have left work behind: start the next task clean.
    if (error.code === 'EXTRACTION_TIMEOUT' || error.code === 'INTERNAL') {
      counters.threadsKilled++;
      kill(thread, undefined);
    } else {
      release(thread);
    }
  };

  function run(request: PdfThreadRequest, runOptions: PdfThreadRunOptions = {}): Promise<never> {
    return new Promise((resolve, reject) => {
      const { signal } = runOptions;
      if (closed) {
        reject(new AegisError('CANCELLED', 'The PDF thread pool is closed.'));
        return;
      }
      if (signal?.aborted) {
        reject(cancelled(signal.reason));
        return;
      }
      const task: Task = {
        id: nextId++,
        request,
        pageTimeoutMs: runOptions.pageTimeoutMs ?? request.limits.pageTimeoutMs,
        signal,
        onAbort: () => {
          const running = [...threads].find((t) => t.task === task);
          if (running !== undefined) {
            kill(running, cancelled(signal?.reason));
            return;
          }
          const index = queue.indexOf(task);
          if (index >= 0) queue.splice(index, 1);
          reject(cancelled(signal?.reason));
        },
        resolve: resolve as (value: unknown) => void,
        reject,
      };
      signal?.addEventListener('abort', task.onAbort, { once: true });
      queue.push(task);
      dispatch();
    });
  }

  return {
    run: run as PdfThreadPool['run'],
    stats: () => ({
      ...counters,
      threadsAlive: threads.size,
      running: [...threads].filter((t) => t.task !== undefined).length,
      queued: queue.length,
    }),
    async close() {
      closed = true;
      const reason = new AegisError('CANCELLED', 'The PDF thread pool was closed.');
      for (const task of queue.splice(0)) {
        task.signal?.removeEventListener('abort', task.onAbort);
        task.reject(reason);
      }
      for (const thread of [...threads]) kill(thread, reason);
      await Promise.all(exiting);
    },
  };
}

function cancelled(reason: unknown): AegisError {
  return new AegisError('CANCELLED', 'The PDF extraction was cancelled by its caller.', { cause: reason });
}

function rebuildError(error: SerializedError): AegisError {
  const code: ErrorCode =
    error.code !== undefined && error.code in ERROR_CODES ? (error.code as ErrorCode) : 'INTERNAL';
  return new AegisError(code, error.message, error.details === undefined ? {} : { details: error.details });
}
