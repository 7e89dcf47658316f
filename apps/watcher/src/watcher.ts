import { once } from 'node:events';
import type { Stats } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { AegisError, DEFAULT_KNOWLEDGE_BASE, isAegisError, type VersionStatus } from '@aegis/core';
import type { Logger } from '@aegis/llm-router';
import { openSourceFile, sourceRefusal } from '@aegis/queue';
import type { WorkerRuntime } from '@aegis/worker';
import { type FSWatcher, watch } from 'chokidar';
import pLimit from 'p-limit';
import { fileAway } from './file-away.ts';
import { type FinalVersionEvents, subscribeFinalVersions } from './final-version-events.ts';
import { folderRefusal, type InboxPlace, inboxPlace, type SkipReason, skipReason } from './inbox-names.ts';
import { createKeyedSerial } from './keyed-serial.ts';
import { type ErrorReport, type Outcome, outcomeOf, versionErrorReport } from './outcome.ts';
import { type PinnedFolder, pinFolder } from './pinned-folder.ts';
import { waitUntilStable } from './wait-until-stable.ts';

/** The parts of a worker runtime the watcher uses; a producer-only runtime (`stages: []`) is enough. */
export type WatcherRuntime = Pick<WorkerRuntime, 'config' | 'producer' | 'pipeline' | 'redis' | 'masker'>;

/** Everything the watcher does with a file, in order, for tests, logs and metrics. */
export type WatcherEvent =
  | {
      type: 'ingested';
      path: string;
      documentId: string;
      version: number;
      /** `default` for a file directly in the inbox, else the name of its sub-folder. */
      knowledgeBase: string;
      /** False when the same bytes were already registered: nothing new was enqueued. */
      created: boolean;
      status: VersionStatus;
    }
  | {
      type: 'moved';
      path: string;
      to: string;
      outcome: Outcome;
      documentId: string | null;
      version: number | null;
      /** The error code, for files moved to `failed/`. */
      code?: string;
    }
  | { type: 'skipped'; path: string; reason: SkipReason }
  /**
   * A file left where it is, unread and unmoved, because its knowledge-base sub-folder is not a plain folder
   * (a link, or swapped meanwhile); the link itself is filed under `failed/` as an entry of the inbox.
   */
  | { type: 'refused'; path: string; code: string; reason: string }
  /** Something went wrong that a later periodic check retries (Postgres or Redis down, a busy file). */
  | { type: 'error'; path: string; error: unknown };

export interface WatcherOptions {
  runtime: WatcherRuntime;
  /**
   * The folder to watch (created when missing), and its sub-folders one level deep: `<inbox>/<kb>/<file>` is
   * ingested into knowledge base `<kb>`. Files move to `processed/` and `failed/` (`processed/<kb>/`...).
   */
  inboxDir: string;
  /** How long, in ms, a file's size must stay unchanged before it counts as fully written (WATCH_STABLE_MS). */
  stableMs: number;
  logger: Logger;
  /** How often, in ms, Postgres is asked about files whose version is not final yet. Default 5000. */
  checkIntervalMs?: number | undefined;
  /** Files read and registered at the same time; bounds memory when a restart finds a full inbox. Default 4. */
  concurrency?: number | undefined;
  onEvent?: ((event: WatcherEvent) => void) | undefined;
}

export interface Watcher {
  /**
   * Resolves once the watcher watches and every file that was in the inbox at start was taken in
   * (registered, skipped, or filed under `failed/`); a failure it will retry does not hold it up.
   */
  ready: Promise<void>;
  /** Stops watching and waits for the file in hand; leaves the runtime open (the caller owns it). */
  close(): Promise<void>;
}

/** What the watcher registered for a file still in the inbox, and the file as it was read. */
interface Tracked {
  documentId: string;
  version: number;
  size: number;
  mtimeMs: number;
}

/**
 * Watches `inboxDir` and its knowledge-base sub-folders (one level, never deeper, never through links) and
 * ingests each file once it is fully written, through the same
 * producer as every other surface. The registry dedupes by sha256, so a file seen again after a restart
 * returns its existing version instead of new work. When that version is final, the file moves to
 * `processed/` or `failed/` (with `<name>.error.json`). Final states come from progress events for
 * promptness and from a periodic Postgres check for correctness (pub/sub loses messages while disconnected).
 */
export function startWatcher(options: WatcherOptions): Watcher {
  const { runtime, stableMs, logger } = options;
  const inboxDir = path.resolve(options.inboxDir);
  // Every entry is resolved against the inbox's real path (set once `ready` created it), never through links.
  let inboxReal = inboxDir;
  const tracked = new Map<string, Tracked>();
  // Files to take in again at the next check: registering failed for a passing reason, or they changed.
  const retake = new Set<string>();
  const serial = createKeyedSerial();
  const limit = pLimit(options.concurrency ?? 4);
  const stopping = new AbortController();
  let closed = false;
  let watcher: FSWatcher | undefined;
  let events: FinalVersionEvents | undefined;
  let timer: NodeJS.Timeout | undefined;

  function emit(event: WatcherEvent): void {
    try {
      options.onEvent?.(event);
    } catch (error) {
      logger.warn({ err: error }, 'watcher event listener threw');
    }
  }

  /** Every piece of work on a file goes through here: one at a time per path, errors retried later. */
  function schedule(file: string, task: () => Promise<void>): Promise<void> {
    return serial
      .run(file, async () => {
        if (!closed) await task();
      })
      .catch((error: unknown) => {
        if (closed && stopping.signal.aborted && isAbort(error)) return;
        retake.add(file);
        logger.warn({ err: error, path: file }, 'watched file not handled; retrying at the next check');
        emit({ type: 'error', path: file, error });
      });
  }

  async function take(file: string, initial: boolean): Promise<void> {
    const place = inboxPlace(inboxDir, file);
    // Deeper than one sub-folder: the file watcher does not go there (depth 1); nothing is read.
    if (place.folder === null) return;
    const folderSkip = place.folder === undefined ? undefined : folderRefusal(place.folder);
    const reason = skipReason(place.name) ?? (folderSkip === 'invalid-name' ? undefined : folderSkip);
    if (reason) {
      emit({ type: 'skipped', path: file, reason });
      return;
    }
    // chokidar holds events until writes finish, except for its initial scan: check those ourselves. `lstat`
    // throughout: the entry itself, never what a link points at.
    const stats = initial
      ? await waitUntilStable(file, stableMs, stopping.signal)
      : await lstat(file).catch(() => undefined);
    if (!stats || stats.isDirectory()) {
      forget(file);
      return;
    }
    await limit(() => register(file, stats, place));
  }

  /** A sub-folder that is not a plain folder of the inbox: its file is left alone, unread. */
  function folderRefused(file: string, error: unknown): void {
    forget(file);
    const reason = sourceRefusal(error) ?? 'unknown';
    logger.warn({ path: file, reason }, 'knowledge-base folder refused; its file is left unread');
    emit({ type: 'refused', path: file, code: 'PATH_NOT_ALLOWED', reason });
  }

  /** Holds the file's sub-folder open (see pinFolder); `undefined` when it is refused or gone (handled). */
  async function pin(file: string, folder: string): Promise<PinnedFolder | undefined> {
    try {
      return await pinFolder(path.join(inboxReal, folder));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        forget(file);
        return undefined;
      }
      const reason = sourceRefusal(error);
      if (reason === 'swapped') {
        retake.add(file);
        return undefined;
      }
      if (reason !== undefined) {
        folderRefused(file, error);
        return undefined;
      }
      throw error;
    }
  }

  /** Files a refused entry away under `failed/` with its code (a link or a bad file: never registered). */
  async function refuseEntry(file: string, error: AegisError): Promise<void> {
    forget(file);
    await moveAway(file, 'failed', null, null, {
      documentId: null,
      version: null,
      code: error.code,
      message: error.message,
      reason: typeof error.details.reason === 'string' ? error.details.reason : undefined,
      at: new Date().toISOString(),
    });
  }

  async function register(file: string, stats: Stats, place: InboxPlace): Promise<void> {
    if (closed || place.folder === null) return;
    if (place.folder === undefined) return registerIn(file, stats, place.name, undefined, undefined);
    // The folder's checks come first, whatever its name: nothing is read or moved through a link.
    const pinned = await pin(file, place.folder);
    if (!pinned) return;
    try {
      if (folderRefusal(place.folder) === 'invalid-name') {
        await refuseEntry(
          file,
          new AegisError(
            'VALIDATION_FAILED',
            `"${place.folder}" is not a knowledge base name: sub-folders of the inbox are named like knowledge bases (lower-case letters, digits, "-" and "_", at most 64 characters, starting with a letter or digit).`,
            { details: { reason: 'invalid-knowledge-base', path: place.name } },
          ),
        );
        return;
      }
      await registerIn(file, stats, place.name, place.folder, pinned);
    } finally {
      await pinned.close();
    }
  }

  async function registerIn(
    file: string,
    stats: Stats,
    name: string,
    folder: string | undefined,
    pinned: PinnedFolder | undefined,
  ): Promise<void> {
    // The real path of the folder the file must be in, and the entry by its name in it: opened through the
    // inbox's real path or the pinned sub-folder, so neither a symlinked parent nor a sub-folder swapped for a
    // link can redirect the open.
    const root = folder === undefined ? inboxReal : path.join(inboxReal, folder);
    const entry = path.join(root, name);
    const knowledgeBase = folder ?? DEFAULT_KNOWLEDGE_BASE;
    if (stats.isSymbolicLink()) {
      await refuseEntry(
        file,
        new AegisError(
          'PATH_NOT_ALLOWED',
          'The file is a symbolic link; links are never followed. Copy the file in.',
          {
            details: { reason: 'symlink', path: name },
          },
        ),
      );
      return;
    }
    let opened: Awaited<ReturnType<typeof openSourceFile>>;
    try {
      opened = await openSourceFile(pinned ? path.join(pinned.path, name) : entry, { expected: stats, root });
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return forget(file);
      const reason = sourceRefusal(error);
      // Rewritten between the look and the open: take it again at the next check.
      if (reason === 'swapped') return void retake.add(file);
      if (reason !== undefined && isAegisError(error)) return refuseEntry(file, error);
      throw error;
    }
    let registration: Awaited<ReturnType<WatcherRuntime['producer']['ingest']>>;
    try {
      // Read through the checked descriptor, streamed: never the whole file in memory, never reopened by path.
      registration = await runtime.producer.ingest({
        handle: opened.handle,
        displayName: name,
        sourceKey: entry,
        createdBy: 'watcher',
        knowledgeBase,
      });
    } catch (error) {
      // A bad file (unsupported type, empty, too large) fails the same way every time: file it away.
      if (isAegisError(error) && error.category === 'user') return refuseEntry(file, error);
      throw error;
    } finally {
      await opened.handle.close();
    }
    retake.delete(file);
    const { documentId, version, created, status } = registration;
    tracked.set(file, { documentId, version, size: stats.size, mtimeMs: stats.mtimeMs });
    logger.info(
      { path: file, documentId, version, created, status, knowledgeBase },
      'watched file registered',
    );
    emit({ type: 'ingested', path: file, documentId, version, knowledgeBase, created, status });
    if (outcomeOf(status) !== undefined) await settle(file);
  }

  /** Moves the file if Postgres says its version is final. */
  async function settle(file: string): Promise<void> {
    const entry = tracked.get(file);
    if (!entry) return;
    const record = await runtime.pipeline.repository.getVersion(entry.documentId, entry.version);
    const status = record?.status;
    if (status !== undefined && outcomeOf(status) === undefined) return;
    const current = await lstat(file).catch(() => undefined);
    if (!current) {
      forget(file);
      return;
    }
    if (current.size !== entry.size || current.mtimeMs !== entry.mtimeMs) {
      // The file changed after it was read; the new bytes are registered (as a new version) before it moves.
      retake.add(file);
      return;
    }
    forget(file);
    if (!record) {
      await moveAway(file, 'failed', entry.documentId, entry.version, {
        documentId: entry.documentId,
        version: entry.version,
        code: 'DOCUMENT_NOT_FOUND',
        message: 'the document was deleted before it reached a final state',
        at: new Date().toISOString(),
      });
      return;
    }
    const outcome = outcomeOf(record.status) ?? 'failed';
    await moveAway(
      file,
      outcome,
      entry.documentId,
      entry.version,
      outcome === 'failed' ? versionErrorReport(record, new Date()) : undefined,
    );
  }

  async function moveAway(
    file: string,
    outcome: Outcome,
    documentId: string | null,
    version: number | null,
    report: ErrorReport | undefined,
  ): Promise<void> {
    // The report lands on disk beside the file, readable by whoever drops files: masked like every error text.
    const masked = report && { ...report, message: runtime.masker.excerpt(report.message) };
    const place = inboxPlace(inboxDir, file);
    let to: string;
    if (typeof place.folder === 'string') {
      // Moved through the pinned sub-folder: a folder swapped for a link meanwhile is refused, never followed.
      const pinned = await pinFolder(path.join(inboxReal, place.folder));
      try {
        to = await fileAway(path.join(pinned.path, place.name), inboxDir, outcome, masked, place.folder);
      } finally {
        await pinned.close();
      }
    } else {
      to = await fileAway(file, inboxDir, outcome, masked);
    }
    if (report)
      logger.warn({ path: file, to, documentId, version, code: report.code }, 'watched file failed');
    else logger.info({ path: file, to, documentId, version }, 'watched file processed');
    emit({
      type: 'moved',
      path: file,
      to,
      outcome,
      documentId,
      version,
      ...(report ? { code: report.code } : {}),
    });
  }

  function forget(file: string): void {
    tracked.delete(file);
    retake.delete(file);
  }

  let checking = false;
  async function check(): Promise<void> {
    if (checking || closed) return;
    checking = true;
    try {
      const work = [...tracked.keys()].map((file) => schedule(file, () => settle(file)));
      for (const file of retake) work.push(schedule(file, () => take(file, true)));
      await Promise.all(work);
    } finally {
      checking = false;
    }
  }

  const ready = (async () => {
    await mkdir(inboxDir, { recursive: true });
    inboxReal = await realpath(inboxDir);
    events = subscribeFinalVersions({
      redis: runtime.redis.duplicate(),
      queuePrefix: runtime.config.redis.queuePrefix,
      onFinal(documentId, version) {
        for (const [file, entry] of tracked) {
          if (entry.documentId === documentId && entry.version === version)
            void schedule(file, () => settle(file));
        }
      },
    });
    await events.ready;
    const initial: Promise<void>[] = [];
    let scanned = false;
    const onFile = (file: string): void => {
      const task = schedule(file, () => take(file, !scanned));
      if (!scanned) initial.push(task);
    };
    watcher = watch(inboxDir, {
      // The inbox and its knowledge-base sub-folders; deeper folders are reported (addDir) but never entered.
      depth: 1,
      // Report links as themselves: the watcher refuses them without looking at their targets.
      followSymlinks: false,
      ignoreInitial: false,
      awaitWriteFinish: {
        stabilityThreshold: stableMs,
        pollInterval: Math.max(10, Math.min(100, stableMs / 3)),
      },
      ignored: [
        { path: path.join(inboxDir, 'processed'), recursive: true },
        { path: path.join(inboxDir, 'failed'), recursive: true },
      ],
    });
    watcher
      .on('add', onFile)
      .on('change', onFile)
      .on('addDir', (folder) => {
        const place = inboxPlace(inboxDir, folder);
        if (typeof place.folder === 'string' && skipReason(place.name) === undefined) {
          logger.warn({ path: folder }, 'folder nested in a knowledge-base folder: not watched, left alone');
          emit({ type: 'skipped', path: folder, reason: 'nested-folder' });
        }
      })
      .on('unlink', (file) => void schedule(file, async () => forget(file)))
      .on('error', (error) => logger.error({ err: error, inboxDir }, 'watching the inbox failed'));
    await once(watcher, 'ready');
    scanned = true;
    timer = setInterval(() => void check(), options.checkIntervalMs ?? 5000);
    await Promise.all(initial);
    logger.info({ inboxDir, stableMs, files: initial.length }, 'watching the inbox');
  })();

  return {
    ready,
    async close() {
      if (closed) return;
      closed = true;
      stopping.abort();
      clearInterval(timer);
      await ready.catch(() => {});
      await watcher?.close();
      await events?.close();
      await serial.idle();
    },
  };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
