import { loadConfig, secretKeyNames } from '@aegis/config';
import { createLogger } from '@aegis/observability';
import { startWorkerRuntime, type WorkerRuntime } from '@aegis/worker';

/** Runs a command against the system without starting any stage worker; always closes what it opened. */
export async function withRuntime<T>(
  work: (runtime: WorkerRuntime) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', name: 'aegis-cli', secretKeys: secretKeyNames() });
  const runtime = await startWorkerRuntime({ config, logger, stages: [], migrate: options.migrate });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
