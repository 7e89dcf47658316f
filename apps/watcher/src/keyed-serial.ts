/** Runs tasks one after another per key, and tasks of different keys side by side. */
export interface KeyedSerial {
  run(key: string, task: () => Promise<void>): Promise<void>;
  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void>;
}

/**
 * Per-key serial execution. The watcher needs it because one path can see an `add`, a `change`, a
 * final-state event and a periodic check at nearly the same time; handled together they could ingest and
 * move the same file at once. Task errors are the caller's to handle; here they only don't block the chain.
 */
export function createKeyedSerial(): KeyedSerial {
  const tails = new Map<string, Promise<void>>();
  return {
    run(key, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      const next = previous.then(task, task);
      const tail = next.catch(() => {});
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
    async idle() {
      while (tails.size > 0) await Promise.all(tails.values());
    },
  };
}
