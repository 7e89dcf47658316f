import type { Logger } from 'pino';

/**
 * Graceful shutdown for a process: on SIGTERM or SIGINT, run `close` once (stop accepting work, finish what is in
 * flight, close connections), then exit 0, or 1 if closing failed. A second signal while closing is ignored.
 */
export function exitOnSignals(options: {
  logger: Pick<Logger, 'info' | 'error'>;
  what: string;
  close: () => Promise<void>;
}): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal }, `shutting down: ${options.what}`);
    options.close().then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
