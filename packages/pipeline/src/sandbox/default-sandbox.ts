import { createSandboxPool, type SandboxPool } from './sandbox-pool.ts';

// The one module-level sandbox, a deliberate exception to "no module singletons": library callers (tests,
// benchmarks, scripts) may extract without building a sandbox. The worker creates its own from config and
// passes it through PipelineDeps. Idle processes neither keep the caller alive nor outlive their idle time,
// so closing it is optional.
let shared: SandboxPool | undefined;

/** The sandbox used by calls that pass none, created with default limits on first use. */
export function defaultSandbox(): SandboxPool {
  shared ??= createSandboxPool();
  return shared;
}

/** Closes the shared sandbox (a later call creates a new one). */
export async function closeDefaultSandbox(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
