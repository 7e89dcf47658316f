import { glob, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, secretKeyNames } from '@aegis/config';
import { AegisError, isAegisError } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { type ProgressEvent, progressChannel } from '@aegis/queue';
import { startWorkerRuntime } from '@aegis/worker';
import { Redis } from 'ioredis';
import { createProgressView } from '../progress-view.ts';

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

export async function runIngest(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { wait: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0)
    throw new AegisError('VALIDATION_FAILED', 'usage: aegis ingest <file|folder|glob>... [--wait]');
  const files = await expand(positionals);
  if (files.length === 0)
    throw new AegisError('VALIDATION_FAILED', `nothing matched ${positionals.join(' ')}`);

  const config = loadConfig(process.env);
  const logger = createLogger({ level: 'warn', name: 'aegis-cli', secretKeys: secretKeyNames() });
  const runtime = await startWorkerRuntime({ config, logger, stages: [], migrate: true });
  const listener = values.wait ? new Redis(config.redis.url) : undefined;
  const waiting = new Map<string, string>();
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
        const what = registration.created
          ? `queued as version ${registration.version}`
          : `already ingested (version ${registration.version}, ${registration.status}); nothing to do`;
        console.log(`${file}: ${registration.documentId} ${what}`);
        if (registration.created) waiting.set(`${registration.documentId}/${registration.version}`, file);
      } catch (error) {
        console.error(
          `${file}: ${isAegisError(error) ? error.code : 'INTERNAL'}: ${error instanceof Error ? error.message : String(error)}`,
        );
        process.exitCode = 1;
      }
    }
    if (!listener || waiting.size === 0) return;
    console.log(`waiting for ${waiting.size} document(s); workers must be running (npm run worker)`);
    const view = createProgressView({ interactive: process.stdout.isTTY === true });
    for (const [key, file] of waiting) view.track(key, file);
    await new Promise<void>((resolve) => {
      listener.on('message', (_channel: string, message: string) => {
        const event = JSON.parse(message) as ProgressEvent;
        const final = view.update(event);
        if (!final || event.type === 'deleted') return;
        if (final !== 'completed') process.exitCode = 1;
        waiting.delete(`${event.documentId}/${event.version}`);
        if (waiting.size === 0) resolve();
      });
    });
    view.stop();
  } finally {
    listener?.disconnect();
    await runtime.close();
  }
}
