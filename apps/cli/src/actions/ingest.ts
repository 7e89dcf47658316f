import { openAsBlob } from 'node:fs';
import { glob, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AegisClient, LiveEvent } from '@aegis/client';
import { AegisError, isAegisError } from '@aegis/core';
import type { Command } from 'commander';
import { outputFor } from '../cli/cli-command.ts';
import { withConnection } from '../cli/connect.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { createProgressView } from '../progress-view.ts';
import { FINAL_STATUSES, waitForDocuments } from '../wait-for-documents.ts';

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
  /** The knowledge base to ingest into. */
  kb?: string;
  /** User metadata for every file, parsed from JSON text by the command. */
  metadata?: Record<string, unknown>;
}

interface Registered {
  file: string;
  documentId?: string;
  version?: number;
  created?: boolean;
  status?: string;
  error?: { code: string; message: string };
}

type ProgressListener = (event: Exclude<LiveEvent, { type: 'heartbeat' | 'completion' }>) => void;

/**
 * Follows `/v1/events` (reconnecting when the stream drops) and fans events out to listeners; remembers the
 * last worker count from the heartbeats. On every (re)connection the pending versions are read from the API,
 * so a final state missed while disconnected is still seen.
 */
function followEvents(client: AegisClient, pendingStatus: () => Promise<void>) {
  const abort = new AbortController();
  const listeners = new Set<ProgressListener>();
  let workers: number | null = null;
  let everConnected = false;
  let connected!: () => void;
  let failed!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  const loop = (async () => {
    while (!abort.signal.aborted) {
      try {
        let first = true;
        for await (const event of client.events({ signal: abort.signal })) {
          if (event.type === 'heartbeat') {
            workers = event.workers;
            if (first) {
              first = false;
              everConnected = true;
              connected();
              void pendingStatus().catch(() => {});
            }
            continue;
          }
          if (event.type === 'completion') continue;
          for (const listener of listeners) listener(event);
        }
      } catch (error) {
        // Before the first connection every failure is final (a wrong key, no such API): say so at once.
        // Afterwards the stream dropped: reconnect, and catch up from the documents' status.
        if (!everConnected) {
          failed(
            isAegisError(error, 'FORBIDDEN')
              ? new AegisError(
                  'FORBIDDEN',
                  '--wait follows live progress (GET /v1/events), which needs a key with the read role.',
                )
              : error,
          );
          return;
        }
      }
      if (!abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  return {
    ready,
    workers: () => workers,
    subscribe(listener: ProgressListener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(event: Exclude<LiveEvent, { type: 'heartbeat' | 'completion' }>) {
      for (const listener of listeners) listener(event);
    },
    async close() {
      abort.abort();
      await loop;
    },
  };
}

export async function ingest(patterns: string[], options: IngestOptions, command: Command): Promise<void> {
  const out = outputFor(command);
  const files = await expand(patterns);
  if (files.length === 0) throw new AegisError('VALIDATION_FAILED', `nothing matched ${patterns.join(' ')}`);
  await withConnection(command, async ({ client }) => {
    const results: Registered[] = [];
    const pending = new Map<string, string>();
    const events = options.wait
      ? followEvents(client, async () => {
          // Catch up on versions that ended while the stream was down.
          for (const key of pending.keys()) {
            const [documentId = '', version] = key.split('/');
            const status = await client.getDocument(documentId);
            const current = status.versions.find((entry) => entry.version === Number(version));
            if (current && FINAL_STATUSES.has(current.status))
              events?.emit({ type: 'version', documentId, version: Number(version), status: current.status });
          }
        })
      : undefined;
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      if (events) await events.ready;
      for (const file of files) {
        try {
          const registration = await client.uploadDocument({
            file: await openAsBlob(file),
            filename: path.basename(file),
            sourceKey: file,
            knowledgeBase: options.kb,
            metadata: options.metadata,
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
          // Nothing further can work when the API itself refuses us or is gone.
          if (isAegisError(error) && ['UNAUTHENTICATED', 'FORBIDDEN', 'API_UNREACHABLE'].includes(error.code))
            throw error;
        }
      }
      if (!events || pending.size === 0) return out.result({ documents: results }, () => {});
      out.info(
        `waiting for ${pending.size} document(s)${options.timeout > 0 ? ` (at most ${options.timeout} s)` : ''}`,
      );
      const view = out.json ? undefined : createProgressView({ interactive: process.stdout.isTTY === true });
      for (const [key, file] of pending) view?.track(key, file);
      const waited = await waitForDocuments({
        pending,
        subscribe: (listen) => events.subscribe(listen),
        timeoutMs: options.timeout * 1000,
        warnAfterMs: options.warnAfter * 1000,
        countWorkers: async () => events.workers() ?? Promise.reject(new Error('no heartbeat yet')),
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
      if ([...waited.finals.values()].some((status) => !status.startsWith('completed')))
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
      await events?.close();
    }
  });
}
