import { type ChildProcess, fork } from 'node:child_process';
import { AegisError } from '@aegis/core';
import { SEMI_SPACE_FLAG } from './node-flags.ts';
import { descendantsRssBytes, readProcessMemory } from './process-memory.ts';
import { cancelled, classifyDeath, overMemoryLimit, overTimeLimit, rebuildError } from './sandbox-exit.ts';
import {
  DEFAULT_SANDBOX_OPTIONS,
  resolveSandboxOptions,
  type SandboxPoolOptions,
} from './sandbox-options.ts';
import type { SandboxChildMessage, SandboxTaskMessage } from './sandbox-protocol.ts';
import { startSandboxProcess } from './sandbox-start.ts';
import type { SandboxPool, SandboxRunOptions } from './sandbox-types.ts';

export type { SandboxEvent, SandboxPool, SandboxPoolStats, SandboxRunOptions } from './sandbox-types.ts';

interface Task {
  id: number;
  op: string;
  request: unknown;
  stepTimeoutMs: number;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  state: 'starting' | 'idle' | 'busy';
  task: Task | undefined;
  tasksRun: number;
  step: string;
  stepTimer: NodeJS.Timeout | undefined;
  taskTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  /** Set once the pool stopped caring about the process; later events are ignored. */
  gone: boolean;
  stderrTail: string;
  peakRssBytes: number;
  rssBytes: number;
  /** Resident memory when it reported ready: what a fresh process holds. */
  freshRssBytes: number;
  /** When it last became idle (performance.now()). */
  idleSince: number;
  dataLimited: boolean;
}

const STDERR_TAIL_BYTES = 4_096;
/**
 * A warm process idle for `warmSwollenIdleMs` with more than this above its fresh footprint is replaced by a
 * fresh one: its memory goes back to the OS (and its exit wakes documents waiting for memory).
 */
const WARM_SLACK_BYTES = 64 * 1024 * 1024;

/** A busy process keeps its parent alive; an idle one (its handle, IPC channel and stderr pipe) must not. */
function holdParent(proc: Proc, hold: boolean): void {
  const stderr = proc.child.stderr as (NodeJS.ReadableStream & { ref?(): void; unref?(): void }) | null;
  if (hold) {
    proc.child.ref();
    proc.child.channel?.ref();
    stderr?.ref?.();
  } else {
    proc.child.unref();
    proc.child.channel?.unref();
    stderr?.unref?.();
  }
}

/** Creates a {@link SandboxPool}. Processes start on demand and do not keep an idle parent alive. */
export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  const resolved = resolveSandboxOptions(options);
  const memoryLimitBytes = resolved.memoryLimitMb * 1024 * 1024;
  const recycleRssBytes = resolved.recycleRssMb * 1024 * 1024;
  const procs = new Set<Proc>();
  const queue: Task[] = [];
  const exits = new Set<Promise<void>>();
  const counters = { processesStarted: 0, processesKilled: 0, processesRetired: 0, tasksRun: 0 };
  let peakRssBytes = 0;
  let nextId = 1;
  let closed = false;
  /** Warm processes are kept only once the pool has been used, and not after a start failed (broken install). */
  let keepWarm = false;
  let watchdog: NodeJS.Timeout | undefined;

  const emit = (event: Parameters<NonNullable<SandboxPoolOptions['onEvent']>>[0]): void => {
    try {
      resolved.onEvent?.(event);
    } catch {
      // A listener's failure must not break the pool.
    }
  };

  /** Reads the process's memory from /proc; false where there is none (then the child's own figure is used). */
  const sample = (proc: Proc): boolean => {
    const memory = readProcessMemory(proc.pid);
    if (memory === undefined) return false;
    proc.rssBytes = memory.rssBytes;
    proc.peakRssBytes = Math.max(proc.peakRssBytes, memory.peakRssBytes, memory.rssBytes);
    peakRssBytes = Math.max(peakRssBytes, proc.peakRssBytes);
    return true;
  };

  const watch = (): void => {
    let busy = false;
    for (const proc of procs) {
      if (proc.state !== 'busy') continue;
      busy = true;
      sample(proc);
      if (proc.rssBytes > memoryLimitBytes) {
        kill(proc, overMemoryLimit(proc.step, proc.rssBytes, memoryLimitBytes), 'killed');
      }
    }
    if (!busy) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  };

  const start = (): void => {
    const started = performance.now();
    const child = fork(resolved.entry, [resolved.compileCacheDir ?? ''], {
      execArgv: [`--max-old-space-size=${resolved.heapLimitMb}`, SEMI_SPACE_FLAG],
      // No secrets reach a parser: the process gets only what it needs.
      env: { ...resolved.env, MALLOC_ARENA_MAX: '2' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const proc: Proc = {
      child,
      pid: child.pid ?? -1,
      state: 'starting',
      task: undefined,
      tasksRun: 0,
      step: 'Starting the sandbox',
      stepTimer: undefined,
      taskTimer: undefined,
      idleTimer: undefined,
      gone: false,
      stderrTail: '',
      peakRssBytes: 0,
      rssBytes: 0,
      dataLimited: false,
      freshRssBytes: 0,
      idleSince: 0,
    };
    counters.processesStarted++;
    procs.add(proc);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    exits.add(exited);
    void exited.finally(() => exits.delete(exited));
    child.stderr?.on('data', (chunk: Buffer) => {
      proc.stderrTail = (proc.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (message: SandboxChildMessage) => onMessage(proc, message));
    child.on('error', (error) => onDeath(proc, null, null, error));
    child.on('exit', (code, signal) => onDeath(proc, code, signal, undefined));
    // A process that cannot even start (fork refused, broken install) fails a task, not the document.
    proc.stepTimer = setTimeout(
      () => startFailed(proc, `did not start within ${resolved.startTimeoutMs} ms`),
      resolved.startTimeoutMs,
    );
    startSandboxProcess(proc.pid, child, memoryLimitBytes).then(
      (dataLimitBytes) => {
        if (proc.gone) return;
        clearTimeout(proc.stepTimer);
        proc.dataLimited = dataLimitBytes !== undefined;
        proc.state = 'idle';
        sample(proc);
        proc.freshRssBytes = proc.rssBytes;
        emit({ type: 'started', pid: proc.pid, startMs: performance.now() - started, dataLimitBytes });
        release(proc);
      },
      (error: unknown) => startFailed(proc, (error as Error).message),
    );
  };

  const startFailed = (proc: Proc, why: string): void => {
    if (proc.gone) return;
    keepWarm = false;
    finishProc(proc, 'died');
    // One queued task fails per failed start, so a broken install cannot loop forever.
    const task = queue.shift();
    task?.signal?.removeEventListener('abort', task.onAbort);
    task?.reject(
      new AegisError(
        'SANDBOX_UNAVAILABLE',
        `A parsing sandbox process could not be started (${why}); the document will be retried.`,
        { details: { stderr: proc.stderrTail.slice(-500) } },
      ),
    );
    dispatch();
  };

  /** Forgets a process: clears its timers, removes it, and kills it if it still runs. */
  const finishProc = (
    proc: Proc,
    reason: 'idle' | 'retired' | 'killed' | 'died' | 'closed',
    code?: string,
  ) => {
    proc.gone = true;
    procs.delete(proc);
    clearTimeout(proc.stepTimer);
    clearTimeout(proc.taskTimer);
    clearTimeout(proc.idleTimer);
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      // Held until the exit is seen, so close() can wait for it even when the process was idle (unref'd).
      proc.child.ref();
      proc.child.kill('SIGKILL');
    }
    const done = (): void => emit({ type: 'exited', pid: proc.pid, reason, ...(code ? { code } : {}) });
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) done();
    else proc.child.once('exit', done);
  };

  /** Ends a process on purpose; its running task, if any, fails with `reason`. */
  const kill = (proc: Proc, reason: AegisError, why: 'killed' | 'closed'): void => {
    if (proc.gone) return;
    sample(proc);
    const task = proc.task;
    finishProc(proc, why, reason.code);
    if (task !== undefined) {
      counters.processesKilled++;
      settle(task, () => task.reject(reason));
    }
    dispatch();
  };

  const onDeath = (
    proc: Proc,
    exitCode: number | null,
    signal: NodeJS.Signals | null,
    spawnError: Error | undefined,
  ): void => {
    if (proc.gone) return;
    if (proc.state === 'starting') {
      startFailed(proc, spawnError?.message ?? `exited with ${signal ?? exitCode} while starting`);
      return;
    }
    const task = proc.task;
    if (task === undefined) {
      finishProc(proc, 'died');
      dispatch();
      return;
    }
    const error = classifyDeath({
      exitCode,
      signal,
      stderrTail: proc.stderrTail,
      step: proc.step,
      memoryLimitBytes,
      peakRssBytes: proc.peakRssBytes,
      dataLimited: proc.dataLimited,
    });
    finishProc(proc, 'died', error.code);
    counters.processesKilled++;
    settle(task, () => task.reject(error));
    dispatch();
  };

  const settle = (task: Task, outcome: () => void): void => {
    task.signal?.removeEventListener('abort', task.onAbort);
    counters.tasksRun++;
    outcome();
  };

  const armStep = (proc: Proc, ms: number): void => {
    clearTimeout(proc.stepTimer);
    proc.stepTimer = setTimeout(() => kill(proc, overTimeLimit(proc.step, ms, proc.step), 'killed'), ms);
  };

  const assign = (proc: Proc, task: Task): void => {
    clearTimeout(proc.idleTimer);
    proc.state = 'busy';
    proc.task = task;
    proc.step = 'Opening the document';
    holdParent(proc, true);
    armStep(proc, task.stepTimeoutMs);
    proc.taskTimer = setTimeout(
      () => kill(proc, overTimeLimit('The whole task', resolved.taskTimeoutMs, proc.step), 'killed'),
      resolved.taskTimeoutMs,
    );
    watchdog ??= setInterval(watch, resolved.watchdogIntervalMs);
    const message: SandboxTaskMessage = { type: 'task', id: task.id, op: task.op, request: task.request };
    proc.child.send(message, (error) => {
      if (error)
        kill(proc, new AegisError('INTERNAL', `Sending the task failed: ${error.message}`), 'killed');
    });
  };

  const dispatch = (): void => {
    while (queue.length > 0 && !closed) {
      const idle = [...procs].find((proc) => proc.state === 'idle');
      if (idle !== undefined) {
        assign(idle, queue.shift() as Task);
        continue;
      }
      const starting = [...procs].filter((proc) => proc.state === 'starting').length;
      if (starting < queue.length && procs.size < resolved.size) {
        start();
        continue;
      }
      return;
    }
    // Replace a warm process that was retired, killed or died, before the next task needs it.
    while (keepWarm && !closed && procs.size < resolved.warmProcesses) start();
  };

  const armIdle = (proc: Proc): void => {
    proc.idleTimer = setTimeout(() => {
      // Warm processes stay; idle ones above that number end. A warm one that kept memory from its tasks is
      // replaced by a fresh one, so idle memory still goes back to the OS and the next document gets the
      // whole room under the cap.
      const swollen =
        proc.rssBytes > proc.freshRssBytes + WARM_SLACK_BYTES &&
        performance.now() - proc.idleSince >= Math.max(resolved.warmSwollenIdleMs, resolved.idleTimeoutMs);
      if (!keepWarm || procs.size > resolved.warmProcesses || swollen) {
        counters.processesRetired++;
        finishProc(proc, 'idle');
        dispatch();
        return;
      }
      armIdle(proc);
    }, resolved.idleTimeoutMs);
    proc.idleTimer.unref();
  };

  /** A process is free again: retire it after heavy use, otherwise keep it idle for the next task. */
  const release = (proc: Proc): void => {
    proc.state = 'idle';
    proc.task = undefined;
    if (proc.tasksRun >= resolved.maxTasksPerProcess || proc.rssBytes > recycleRssBytes) {
      counters.processesRetired++;
      finishProc(proc, 'retired');
      dispatch();
      return;
    }
    // An idle process must not keep the parent alive, nor live forever (beyond the warm ones).
    holdParent(proc, false);
    proc.idleSince = performance.now();
    armIdle(proc);
    dispatch();
  };

  const onMessage = (proc: Proc, message: SandboxChildMessage): void => {
    const task = proc.task;
    if (proc.gone || message.type === 'ready' || task === undefined || message.id !== task.id) return;
    if (message.type === 'step') {
      proc.step = message.step;
      armStep(proc, task.stepTimeoutMs);
      return;
    }
    clearTimeout(proc.stepTimer);
    clearTimeout(proc.taskTimer);
    proc.tasksRun++;
    if (!sample(proc)) proc.rssBytes = message.rssBytes;
    if (message.type === 'result') {
      settle(task, () => task.resolve(message.value));
      release(proc);
      return;
    }
    const error = rebuildError(message.error);
    settle(task, () => task.reject(error));
    // After a timeout, an allocation failure or an unexpected error the process may hold leftovers (a parser
    // still spinning on a timed-out step, a half-built heap): the next task gets a fresh one. A guard's refusal
    // (RESOURCE_LIMIT_EXCEEDED before anything was allocated) leaves the process as clean as it was.
    const outOfMemory = error.code === 'RESOURCE_LIMIT_EXCEEDED' && error.details.outOfMemory === true;
    if (error.code === 'EXTRACTION_TIMEOUT' || error.code === 'INTERNAL' || outOfMemory) {
      counters.processesKilled++;
      finishProc(proc, 'killed', error.code);
      dispatch();
    } else {
      release(proc);
    }
  };

  function run(op: string, request: unknown, runOptions: SandboxRunOptions = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { signal } = runOptions;
      if (closed) {
        reject(new AegisError('CANCELLED', 'The parsing sandbox is closed.'));
        return;
      }
      if (signal?.aborted) {
        reject(cancelled(signal.reason));
        return;
      }
      const task: Task = {
        id: nextId++,
        op,
        request,
        stepTimeoutMs: runOptions.stepTimeoutMs ?? DEFAULT_SANDBOX_OPTIONS.stepTimeoutMs,
        signal,
        onAbort: () => {
          const running = [...procs].find((proc) => proc.task === task);
          if (running !== undefined) {
            kill(running, cancelled(signal?.reason), 'killed');
            return;
          }
          const index = queue.indexOf(task);
          if (index >= 0) queue.splice(index, 1);
          reject(cancelled(signal?.reason));
        },
        resolve,
        reject,
      };
      signal?.addEventListener('abort', task.onAbort, { once: true });
      keepWarm = resolved.warmProcesses > 0;
      queue.push(task);
      dispatch();
    });
  }

  return {
    run: run as SandboxPool['run'],
    options: resolved,
    stats() {
      let rssBytes = 0;
      for (const proc of procs) {
        sample(proc);
        rssBytes += proc.rssBytes;
      }
      // A process may have started a child of its own (the OCR engine, kept across pages): the worker holds
      // that memory too, and the memory check must see it.
      if (procs.size > 0) rssBytes += descendantsRssBytes(new Set([...procs].map((proc) => proc.pid)));
      return {
        ...counters,
        processesAlive: procs.size,
        running: [...procs].filter((proc) => proc.state === 'busy').length,
        queued: queue.length,
        rssBytes,
        peakRssBytes,
      };
    },
    async close() {
      closed = true;
      clearInterval(watchdog);
      const reason = new AegisError('CANCELLED', 'The parsing sandbox was closed.');
      for (const task of queue.splice(0)) {
        task.signal?.removeEventListener('abort', task.onAbort);
        task.reject(reason);
      }
      for (const proc of [...procs]) kill(proc, reason, 'closed');
      await Promise.all(exits);
    },
  };
}
