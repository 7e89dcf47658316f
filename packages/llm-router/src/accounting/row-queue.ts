/**
 * FIFO queue with O(1) push and amortised O(1) removal at the front. Array#shift is O(n), which hurts
 * exactly when it matters: a long outage with the queue near its cap, dropping one old row per new one.
 */
export class RowQueue<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Removes and returns up to `count` items from the front, oldest first. */
  takeFront(count: number): T[] {
    const end = Math.min(this.#head + count, this.#items.length);
    const taken = this.#items.slice(this.#head, end);
    this.#head = end;
    this.#compact();
    return taken;
  }

  /** Puts items back at the front (a batch that failed to write), keeping their order. */
  pushFront(items: readonly T[]): void {
    if (items.length === 0) return;
    this.#items = [...items, ...this.#items.slice(this.#head)];
    this.#head = 0;
  }

  /** Drops up to `count` items from the front; returns how many were dropped. */
  dropFront(count: number): number {
    const dropped = Math.min(count, this.length);
    this.#head += dropped;
    this.#compact();
    return dropped;
  }

  #compact(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
