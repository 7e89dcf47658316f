import { glob, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, secretKeyNames } from '@aegis/config';
import { AegisError, isAegisError } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { type ProgressEvent, progressChannel, readCapacity } from '@aegis/queue';
import { startWorkerRuntime } from '@aegis/worker';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { outputFor } from '../cli/cli-command.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { createProgressView } from '../progress-view.ts';
import { waitForDocuments } from '../wait-for-documents.ts';

/** Files named directly, every file under named folders, and glob matches; hidden files are skipped. */
async function expand(patterns: string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    const info = await stat(pattern).catch(() => undefined);
    const matches = info?.isDirectory() ? glob('**/*', { cwd: pattern }) : info ? [pattern] : glob(pattern);
    for await (const match of matches) {
      const file = info?.isDirectory() ? path.join(pattern, match) : match;
      if (path.basename(file).startsWith('.')) continue;
      if ((await stat(file)).isFile()) files.add(await realpath(file));
    }
  }
  return [...files].sort();
}

export interface IngestOptions {
  wait?: boolean;
  timeout: number;
  warnAfter: number;
}

interface Registered {
  file: string;
  documentId?: string;
  version?: number;
  created?: boolean;
  status?: string;
  error?: { code: string; message: string };
}

export async function ingest(patterns: string[], options: IngestOptions, command: Command): Promise<void> {
  const out = outputFor(command);
  const files = await expand(patterns);
  if (files.length === 0) throw new AegisError('VALIDATION_FAILED', `nothing matched ${patterns.join(' ')}`);

  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', name: 'aegis-cli', secretKeys: secretKeyNames() });
  const runtime = await startWorkerRuntime({ config, logger, stages: [], migrate: true });
  const listener = options.wait ? new Redis(config.redis.url) : undefined;
  const results: Registered[] = [];
  const pending = new Map<string, string>();
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    if (listener) await listener.subscribe(progressChannel(config.redis.queuePrefix));
    for (const file of files) {
      try {
        const data = new Uint8Array(await readFile(file));
        const registration = await runtime.producer.ingest({
          data,
          displayName: path.basename(file),
          sourceKey: file,
          createdBy: 'cli',
        });
        results.push({ file, ...registration });
        out.info(
          `${file}: ${registration.documentId} ${
            registration.created
              ? `queued as version ${registration.version}`
              : `already ingested (version ${registration.version}, ${registration.status}); nothing to do`
          }`,
        );
        if (registration.created) pending.set(`${registration.documentId}/${registration.version}`, file);
      } catch (error) {
        const code = isAegisError(error) ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        results.push({ file, error: { code, message } });
        out.warn(`${file}: ${code}: ${message}`);
        process.exitCode = EXIT.FAILED;
      }
    }
    if (!listener || pending.size === 0) return out.result({ documents: results }, () => {});
    out.info(
      `waiting for ${pending.size} document(s)${options.timeout > 0 ? ` (at most ${options.timeout} s)` : ''}`,
    );
    const view = out.json ? undefined : createProgressView({ interactive: process.stdout.isTTY === true });
    for (const [key, file] of pending) view?.track(key, file);
    const waited = await waitForDocuments({
      pending,
      subscribe(listen) {
        const handler = (_channel: string, message: string) => listen(JSON.parse(message) as ProgressEvent);
        listener.on('message', handler);
        return () => listener.off('message', handler);
      },
      timeoutMs: options.timeout * 1000,
      warnAfterMs: options.warnAfter * 1000,
      countWorkers: async () => (await readCapacity(runtime.redis, config.redis.queuePrefix)).workers,
      onEvent: (event) => view?.update(event),
      onWarning: (line) => out.warn(line),
      signal: interrupt.signal,
    });
    view?.stop();
    for (const result of results) {
      const key = `${result.documentId}/${result.version}`;
      if (pending.has(key)) result.status = waited.finals.get(key) ?? result.status;
    }
    out.result(
      { documents: results, unfinished: waited.unfinished.map((key) => pending.get(key)) },
      () => {},
    );
    if (
      [...waited.finals.values()].some(
        (status) => status !== 'completed' && status !== 'completed_with_warnings',
      )
    )
      process.exitCode = EXIT.FAILED;
    if (waited.reason === 'timeout') {
      out.warn(
        `stopped waiting after ${options.timeout} s; ${waited.unfinished.length} document(s) go on in the background (aegis status)`,
      );
      process.exitCode = EXIT.TIMEOUT;
    } else if (waited.reason === 'aborted') {
      out.warn('stopped waiting; the documents go on in the background (aegis status)');
      process.exitCode = EXIT.INTERRUPTED;
    }
  } finally {
    process.off('SIGINT', onSigint);
    listener?.disconnect();
    await runtime.close();
  }
}
