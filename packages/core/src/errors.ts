/**
 * Who has to act on an error:
 * - `user`: the caller sent something we refuse (bad input, unsupported file, over a limit); retrying is pointless.
 * - `system`: our own infrastructure (Postgres, Redis, a store) failed; retrying later may work.
 * - `provider`: an upstream model provider failed or refused; the router may fall back.
 */
export type ErrorCategory = 'user' | 'system' | 'provider';

/** Every error code the system emits, with its category and whether retrying the same work can succeed. */
export const ERROR_CODES = {
  // configuration and input
  CONFIG_INVALID: { category: 'user', retryable: false },
  VALIDATION_FAILED: { category: 'user', retryable: false },
  // LLM routing
  NO_ROUTE: { category: 'user', retryable: false },
  NO_PROVIDER_AVAILABLE: { category: 'provider', retryable: true },
  PROVIDER_REJECTED: { category: 'provider', retryable: false },
  PROVIDER_RATE_LIMITED: { category: 'provider', retryable: true },
  PROVIDER_UNAVAILABLE: { category: 'provider', retryable: true },
  PROVIDER_TIMEOUT: { category: 'provider', retryable: true },
  PROVIDER_CONNECTION: { category: 'provider', retryable: true },
  PROVIDER_OUT_OF_MEMORY: { category: 'provider', retryable: true },
  PROVIDER_BAD_RESPONSE: { category: 'provider', retryable: true },
  PROVIDER_DISABLED: { category: 'user', retryable: false },
  PROVIDER_UNHEALTHY: { category: 'provider', retryable: true },
  LOCAL_PROMPT_TOO_LARGE: { category: 'user', retryable: false },
  CIRCUIT_OPEN: { category: 'provider', retryable: true },
  BUDGET_EXHAUSTED: { category: 'provider', retryable: false },
  BUDGET_UNAVAILABLE: { category: 'system', retryable: true },
  // No cap was ever stored for the provider (fail closed): an operator sets one with `aegis budgets set`.
  BUDGET_NOT_SET: { category: 'user', retryable: false },
  LLM_JSON_INVALID: { category: 'provider', retryable: false },
  CANCELLED: { category: 'user', retryable: false },
  // documents and the pipeline
  DOCUMENT_TOO_LARGE: { category: 'user', retryable: false },
  UNSUPPORTED_TYPE: { category: 'user', retryable: false },
  PDF_ENCRYPTED: { category: 'user', retryable: false },
  PDF_INVALID: { category: 'user', retryable: false },
  EMPTY_DOCUMENT: { category: 'user', retryable: false },
  IMAGE_INVALID: { category: 'user', retryable: false },
  // A page over the time limit is pathological (e.g. a content-stream cycle): it would time out again.
  EXTRACTION_TIMEOUT: { category: 'user', retryable: false },
  // A parser of the document's bytes hit a sandbox limit (memory, archive size or ratio, XML depth): a bomb or
  // a document too big to parse; it would hit the same limit again.
  RESOURCE_LIMIT_EXCEEDED: { category: 'user', retryable: false },
  // The sandbox process parsing the document died (a native crash in a decoder on these bytes).
  PARSER_CRASHED: { category: 'user', retryable: false },
  // No parsing sandbox could be started (fork failed, the host is out of processes or memory): not the
  // document's fault, so it is retried.
  SANDBOX_UNAVAILABLE: { category: 'system', retryable: true },
  DOCUMENT_NOT_FOUND: { category: 'user', retryable: false },
  DOCUMENT_CANCELLED: { category: 'user', retryable: false },
  // A retry started the stage over under a newer run: the older run stops and leaves the work to it.
  RUN_SUPERSEDED: { category: 'user', retryable: false },
  // The workers running this stage died so often (kill, out of memory) that the document is presumed to kill them.
  WORKER_CRASHED: { category: 'user', retryable: false },
  // The document's stored bytes are gone from a blob folder that is otherwise readable.
  BLOB_MISSING: { category: 'user', retryable: false },
  VECTOR_DIM_MISMATCH: { category: 'system', retryable: false },
  STORE_UNAVAILABLE: { category: 'system', retryable: true },
  REDIS_EVICTION_POLICY: { category: 'system', retryable: false },
  // surfaces (HTTP API, CLI)
  UNAUTHENTICATED: { category: 'user', retryable: false },
  FORBIDDEN: { category: 'user', retryable: false },
  RATE_LIMITED: { category: 'user', retryable: true },
  PAYLOAD_TOO_LARGE: { category: 'user', retryable: false },
  PATH_NOT_ALLOWED: { category: 'user', retryable: false },
  NOT_FOUND: { category: 'user', retryable: false },
  // A request body that stalled (sent nothing for API_BODY_IDLE_TIMEOUT_MS) or took too long.
  REQUEST_TIMEOUT: { category: 'user', retryable: true },
  // More than one file part in one upload request.
  TOO_MANY_FILES: { category: 'user', retryable: false },
  // A document named by an id prefix or file name that fits several documents (details.candidates).
  DOCUMENT_AMBIGUOUS: { category: 'user', retryable: false },
  // An action a final version refuses (cancel of a completed, failed or cancelled version).
  DOCUMENT_FINAL: { category: 'user', retryable: false },
  // The CLI stopped waiting (`ingest --wait --timeout`); the documents go on in the background.
  WAIT_TIMEOUT: { category: 'system', retryable: true },
  // The remote API (`--url`) did not answer at the network level.
  API_UNREACHABLE: { category: 'system', retryable: true },
  // infrastructure
  DATABASE_UNAVAILABLE: { category: 'system', retryable: true },
  REDIS_UNAVAILABLE: { category: 'system', retryable: true },
  // The API could not reach Redis, which carries the queues (and rate limits).
  QUEUE_UNAVAILABLE: { category: 'system', retryable: true },
  MIGRATION_FAILED: { category: 'system', retryable: false },
  INTERNAL: { category: 'system', retryable: false },
} as const satisfies Record<string, { category: ErrorCategory; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AegisErrorOptions {
  /** The underlying error, kept for logs; never shown to API callers. */
  cause?: unknown;
  /** Structured, non-secret facts about the failure (provider, status, limits); safe to log and return. */
  details?: Record<string, unknown>;
  /** Overrides the code's default category, e.g. a provider error caused by our own request. */
  category?: ErrorCategory;
}

/**
 * The one error type that crosses package boundaries. Tests and callers branch on `code`, never on `message`.
 */
export class AegisError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: AegisErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AegisError';
    this.code = code;
    this.category = options.category ?? ERROR_CODES[code].category;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details ?? {};
  }

  /** A plain object for logs and API bodies: code, category, message and details, never the cause chain. */
  toJSON(): { code: ErrorCode; category: ErrorCategory; message: string; details: Record<string, unknown> } {
    return { code: this.code, category: this.category, message: this.message, details: { ...this.details } };
  }
}

export function isAegisError(error: unknown, code?: ErrorCode): error is AegisError {
  return error instanceof AegisError && (code === undefined || error.code === code);
}
