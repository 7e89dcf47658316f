export { abortableSleep, cancelledError, throwIfAborted } from './abort.ts';
export type { AegisErrorOptions, ErrorCategory, ErrorCode } from './errors.ts';
export { AegisError, ERROR_CODES, isAegisError } from './errors.ts';
