/** An error crossing the process boundary: AegisError's code and facts, rebuilt on the other side. */
export interface SerializedError {
  code: string | undefined;
  message: string;
  details: Record<string, unknown> | undefined;
}

/** Parent -> sandbox process: one task at a time per process; `id` tags every reply. */
export interface SandboxTaskMessage {
  type: 'task';
  id: number;
  op: string;
  request: unknown;
}

/**
 * Sandbox process -> parent. `ready` once every parser module is loaded (the parent then applies the memory
 * limit and hands out work); `step` as each step (a page, an entry) starts, to restart the step timer;
 * `result` or `error` ends the task.
 */
export type SandboxChildMessage =
  | { type: 'ready'; rssBytes: number }
  | { type: 'step'; id: number; step: string }
  | { type: 'result'; id: number; value: unknown; rssBytes: number }
  | { type: 'error'; id: number; error: SerializedError; rssBytes: number };
