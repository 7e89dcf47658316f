import { readdirSync, readFileSync } from 'node:fs';

/**
 * Every process below `pid` (its children, their children, ...), from one scan of /proc (Linux); empty where
 * there is no procfs. Used to count the memory of processes a process starts (a parsing sandbox's OCR engine).
 */
export function descendantPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const byParent = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Field 4 is the parent pid; the name in parentheses may contain spaces, so parse after its end.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [...(byParent.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    found.push(next);
    queue.push(...(byParent.get(next) ?? []));
  }
  return found;
}
