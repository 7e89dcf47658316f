import { readdirSync, readFileSync } from 'node:fs';

/** Child pids by parent pid, from one scan of /proc (Linux); empty where there is no procfs. */
function childrenByParent(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return byParent;
  }
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
  return byParent;
}

/** Pids whose parent is `pid` (a scan of /proc: this kernel has no /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  return childrenByParent().get(pid) ?? [];
}

/**
 * Every process below the given ones (their children, their children's children, ...), from one scan of /proc
 * (Linux); empty where there is no procfs. Used to count the memory of processes a process starts (a parsing
 * sandbox's OCR engine).
 */
export function descendantPids(...roots: number[]): number[] {
  const byParent = childrenByParent();
  const found: number[] = [];
  const queue = roots.flatMap((root) => byParent.get(root) ?? []);
  while (queue.length > 0) {
    const next = queue.shift() as number;
    found.push(next);
    queue.push(...(byParent.get(next) ?? []));
  }
  return found;
}
