// Entry of a sandbox process (see sandbox-pool.ts for why parsing runs in a separate process). It runs one
// task at a time for as long as the pool keeps it; the pool kills it on any limit, so nothing here guards
// memory or time itself. It inherits no environment (no secrets) and reads no files but its own modules.
import { enableCompileCache, serveSandbox } from './sandbox-serve.ts';

// Before any parser module is compiled.
enableCompileCache();
const { SANDBOX_OPERATIONS, warmUp } = await import('./sandbox-operations.ts');
await warmUp();
serveSandbox(SANDBOX_OPERATIONS);
