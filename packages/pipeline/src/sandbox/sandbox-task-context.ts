/** What a sandbox operation can tell the parent while it runs. */
export interface SandboxTaskContext {
  /**
   * Names the step starting now (`Page 12`, `Entry word/document.xml`) and restarts its wall-clock timer in
   * the parent: a step over the limit ends the task with EXTRACTION_TIMEOUT.
   */
  step(name: string): void;
}
