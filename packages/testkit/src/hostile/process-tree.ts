import { readFileSync } from 'node:fs';
import { childPids, descendantPids } from '@aegis/core';

/** Highest resident set seen for one process, bytes (the kernel's VmHWM at the last sample). */
export interface ProcessPeak {
  pid: number;
  peakRssBytes: number;
  /** Resident set at the last sample, bytes. */
  lastRssBytes: number;
  /** Still running at the last sample. */
  alive: boolean;
}

function status(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size, bytes: resident pages, with each page shared by n processes counted 1/n. Summed over a
 * tree, it is the memory the tree really holds (the Node binary and libraries mapped by every process count once),
 * where summed RSS counts those pages once per process.
 */
function pss(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    return Number(/^Pss:\s+(\d+) kB$/m.exec(text)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Highest resident sets sampled since {@link ProcessTreeSampler.resetWindow}, bytes. */
export interface WindowPeaks {
  /** The root process. */
  rootRssBytes: number;
  /** The largest single child. */
  childRssBytes: number;
  /** The root and all its descendants together (a sandbox's OCR child included). */
  treeRssBytes: number;
  /** The same tree's proportional set sizes together: shared pages counted once (see `pss`). */
  treePssBytes: number;
}

export { childPids };

/** Samples a process and its children until stopped; see {@link ProcessPeak}. */
export interface ProcessTreeSampler {
  /** Starts a new measuring window (e.g. one benchmark case). */
  resetWindow(): void;
  /** Peaks of the current window, from the samples (VmRSS), not the lifetime high-water marks. */
  window(): WindowPeaks;
  /** The root's peak so far. */
  root(): ProcessPeak;
  /** Every child seen so far (ended ones included), by pid. */
  children(): ProcessPeak[];
  /** Takes a sample now (also done every `intervalMs`). */
  sample(): void;
  stop(): void;
}

/**
 * Watches `rootPid` and its children every `intervalMs` (default 20) from /proc. VmHWM is the kernel's own
 * high-water mark, so the root's peak is exact; a child's peak is exact up to its last sample before it ended.
 */
export function sampleProcessTree(rootPid: number, intervalMs = 20): ProcessTreeSampler {
  const peaks = new Map<number, ProcessPeak>();
  const record = (pid: number): void => {
    const now = status(pid);
    const known = peaks.get(pid) ?? { pid, peakRssBytes: 0, lastRssBytes: 0, alive: true };
    if (now === undefined) {
      known.alive = false;
    } else {
      known.peakRssBytes = Math.max(known.peakRssBytes, now.hwm, now.rss);
      known.lastRssBytes = now.rss;
      known.alive = true;
    }
    peaks.set(pid, known);
  };
  const empty = (): WindowPeaks => ({ rootRssBytes: 0, childRssBytes: 0, treeRssBytes: 0, treePssBytes: 0 });
  let window = empty();
  const sample = (): void => {
    record(rootPid);
    const live = new Set(childPids(rootPid));
    for (const pid of live) record(pid);
    for (const [pid, peak] of peaks) if (pid !== rootPid && !live.has(pid)) peak.alive = false;
    const root = peaks.get(rootPid)?.lastRssBytes ?? 0;
    let tree = root;
    let child = 0;
    for (const pid of live) {
      const rss = peaks.get(pid)?.lastRssBytes ?? 0;
      child = Math.max(child, rss);
    }
    let treePss = pss(rootPid);
    // The tree counts grandchildren too (the OCR process a sandbox starts), read once, not kept as peaks.
    for (const pid of descendantPids(rootPid)) {
      tree += live.has(pid) ? (peaks.get(pid)?.lastRssBytes ?? 0) : (status(pid)?.rss ?? 0);
      treePss += pss(pid);
    }
    window = {
      rootRssBytes: Math.max(window.rootRssBytes, root),
      childRssBytes: Math.max(window.childRssBytes, child),
      treeRssBytes: Math.max(window.treeRssBytes, tree),
      treePssBytes: Math.max(window.treePssBytes, treePss),
    };
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return {
    resetWindow: () => {
      window = empty();
    },
    window: () => ({ ...window }),
    root: () => peaks.get(rootPid) ?? { pid: rootPid, peakRssBytes: 0, lastRssBytes: 0, alive: false },
    children: () => [...peaks.values()].filter((peak) => peak.pid !== rootPid),
    sample,
    stop: () => clearInterval(timer),
  };
}
