/** A request the simulator refuses, answered with `status` in the provider's error format. */
export class SimHttpError extends Error {
  readonly status: number;
  /** OpenAI error `code` (`null` when the real API sends none). */
  readonly code: string | null;

  constructor(status: number, message: string, code: string | null = null) {
    super(message);
    this.name = 'SimHttpError';
    this.status = status;
    this.code = code;
  }
}
