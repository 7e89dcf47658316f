import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, open, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { STAGES } from '@aegis/core';
import { createLogger } from '@aegis/observability';
import { startWatcher, type Watcher, type WatcherEvent } from '@aegis/watcher';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const STABLE_MS = 300;
const logger = createLogger({ level: 'warn', name: 'test-watcher' });

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

function notes(topic: string): Buffer {
  return Buffer.from(
    `# Notes on ${topic}\n\nAndreas Gal wrote about TraceMonkey at Mozilla. The tracing compiler records hot loops.\n\n` +
      `## Details\n\nBrendan Eich created JavaScript at Netscape. ${topic} is discussed with Graydon Hoare.\n\n` +
      `${`Type specialisation removes boxing overhead in hot paths of ${topic}. `.repeat(40)}\n`,
  );
}

type EventOf<T extends WatcherEvent['type']> = Extract<WatcherEvent, { type: T }>;

/** Collects a watcher's events and lets a test wait for one (bounded, never a fixed sleep). */
function eventLog() {
  const events: WatcherEvent[] = [];
  const waiters = new Set<{
    match: (event: WatcherEvent) => boolean;
    resolve: (event: WatcherEvent) => void;
  }>();
  return {
    events,
    onEvent(event: WatcherEvent) {
      events.push(event);
      for (const waiter of waiters) {
        if (waiter.match(event)) {
          waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
    },
    of<T extends WatcherEvent['type']>(type: T, file: string): EventOf<T>[] {
      return events.filter((event): event is EventOf<T> => event.type === type && event.path === file);
    },
    async waitFor<T extends WatcherEvent['type']>(
      type: T,
      file: string,
      timeoutMs = 90_000,
    ): Promise<EventOf<T>> {
      const match = (event: WatcherEvent) => event.type === type && event.path === file;
      const seen = events.find(match);
      if (seen) return seen as EventOf<T>;
      let waiter: { match: typeof match; resolve: (event: WatcherEvent) => void } | undefined;
      const reached = new Promise<WatcherEvent>((resolve) => {
        waiter = { match, resolve };
        waiters.add(waiter);
      });
      const timer = sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`no ${type} event for ${file} within ${timeoutMs} ms; saw ${JSON.stringify(events)}`);
      });
      try {
        return (await Promise.race([reached, timer])) as EventOf<T>;
      } finally {
        if (waiter) waiters.delete(waiter);
      }
    },
  };
}

describe('watched folder', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  let inbox: string;
  const watchers: Watcher[] = [];

  function watchInbox(log: ReturnType<typeof eventLog>): Watcher {
    const watcher = startWatcher({
      runtime: harness.runtime,
      inboxDir: inbox,
      stableMs: STABLE_MS,
      logger,
      checkIntervalMs: 1000,
      onEvent: log.onEvent,
    });
    watchers.push(watcher);
    return watcher;
  }

  async function versionsOf(file: string) {
    const { rows } = await harness.db.pool.query<{
      document_id: string;
      version: number;
      sha256: string;
      status: string;
    }>(
      `SELECT v.document_id, v.version, v.sha256, v.status
         FROM document_versions v JOIN documents d ON d.id = v.document_id
        WHERE d.source_key = $1 ORDER BY v.version`,
      [file],
    );
    return rows;
  }

  beforeAll(async () => {
    harness = await createPipelineHarness();
  });
  afterAll(async () => harness.close());
  beforeEach(async () => {
    // The real path: it is the source key the watcher registers.
    inbox = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-inbox-')));
  });
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
    await rm(inbox, { recursive: true, force: true });
  });

  it('ingests a slowly copied file once, after it is complete, and moves it to processed/', async () => {
    const log = eventLog();
    let complete = false;
    const ingestedEarly: WatcherEvent[] = [];
    const watcher = watchInbox({
      ...log,
      onEvent(event) {
        if (event.type === 'ingested' && !complete) ingestedEarly.push(event);
        log.onEvent(event);
      },
    });
    await watcher.ready;

    const data = notes('slow copies');
    const file = path.join(inbox, 'slow-notes.md');
    const handle = await open(file, 'w');
    // 24 chunks 60 ms apart: the copy takes far longer than STABLE_MS, but never pauses that long.
    const chunkSize = Math.ceil(data.length / 24);
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      await handle.write(data.subarray(offset, offset + chunkSize));
      await handle.sync();
      await sleep(60);
    }
    await handle.close();
    complete = true;

    const moved = await log.waitFor('moved', file);
    expect(moved.outcome).toBe('processed');
    expect(moved.to).toBe(path.join(inbox, 'processed', 'slow-notes.md'));
    expect(await readFile(moved.to)).toEqual(data);
    expect(ingestedEarly).toEqual([]);
    expect(log.of('ingested', file)).toHaveLength(1);

    const versions = await versionsOf(file);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ sha256: sha256(data), status: 'completed' });
    // Nothing was registered for a partial copy, under any source.
    const partial = await harness.db.pool.query(
      "SELECT 1 FROM document_versions v JOIN documents d ON d.id = v.document_id WHERE d.display_name = 'slow-notes.md' AND v.sha256 <> $1",
      [sha256(data)],
    );
    expect(partial.rowCount).toBe(0);

    // The same bytes under another name: the registry answers with the completed version, no new work.
    const copy = path.join(inbox, 'copy-of-slow-notes.md');
    await writeFile(copy, data);
    const again = await log.waitFor('ingested', copy);
    expect(again).toMatchObject({
      created: false,
      documentId: versions[0]?.document_id,
      status: 'completed',
    });
    expect((await log.waitFor('moved', copy)).to).toBe(
      path.join(inbox, 'processed', 'copy-of-slow-notes.md'),
    );
  });

  it('a restart mid-way neither loses nor duplicates the file', async () => {
    const { runtime } = harness;
    // Hold the pipeline so the file is registered but cannot complete before the restart.
    for (const stage of STAGES) await runtime.queues.queue(stage).pause();
    try {
      const data = notes('restarts');
      const file = path.join(inbox, 'restart-notes.md');
      const firstLog = eventLog();
      const first = watchInbox(firstLog);
      await first.ready;
      await writeFile(file, data);
      const registered = await firstLog.waitFor('ingested', file);
      expect(registered).toMatchObject({ created: true, status: 'queued' });
      await first.close();
      expect(await exists(file)).toBe(true);

      const secondLog = eventLog();
      const second = watchInbox(secondLog);
      // ready: the files found at start were taken in again.
      await second.ready;
      expect(secondLog.of('ingested', file)).toEqual([
        expect.objectContaining({
          created: false,
          documentId: registered.documentId,
          version: registered.version,
        }),
      ]);
      for (const stage of STAGES) await runtime.queues.queue(stage).resume();

      const moved = await secondLog.waitFor('moved', file);
      expect(moved).toMatchObject({ outcome: 'processed', documentId: registered.documentId, version: 1 });
      expect(await exists(file)).toBe(false);
      expect(firstLog.of('moved', file)).toEqual([]);

      const versions = await versionsOf(file);
      expect(versions).toEqual([expect.objectContaining({ version: 1, status: 'completed' })]);
      const runs = await runtime.pipeline.repository.stageRuns(registered.documentId, 1);
      expect(runs.map((run) => [run.stage, run.status, run.run])).toEqual(
        STAGES.map((stage) => [stage, 'completed', 1]),
      );
      // One pipeline run's worth of model calls: each embedding batch and each chunk's graph extraction once.
      await runtime.pipeline.router.flush();
      const chunks = await runtime.pipeline.repository.loadChunks(registered.documentId, 1);
      const ledger = await harness.db.pool.query<{ stage: string; n: number }>(
        "SELECT stage, count(*)::int AS n FROM llm_ledger WHERE document_id = $1 AND status = 'ok' GROUP BY stage",
        [registered.documentId],
      );
      const byStage = Object.fromEntries(ledger.rows.map((row) => [row.stage, row.n]));
      expect(chunks.length).toBeGreaterThan(0);
      expect(byStage.embed).toBe(Math.ceil(chunks.length / harness.config.llm.embedBatchSize));
      expect(byStage.graph).toBe(chunks.length);
    } finally {
      for (const stage of STAGES) await runtime.queues.queue(stage).resume();
    }
  });

  it('ignores hidden and temporary files and folders', async () => {
    const ignored = [
      '.hidden-notes.md',
      '.DS_Store',
      'draft.md.tmp',
      'movie.mp4.part',
      'report.pdf.crdownload',
      'paper.pdf.download',
      '~$budget.docx',
      'notes.md.swp',
      'notes.md~',
    ];
    for (const name of ignored) await writeFile(path.join(inbox, name), notes(name));
    // A hidden folder is not a knowledge base: left alone like a hidden file.
    await mkdir(path.join(inbox, '.nested'));
    await writeFile(path.join(inbox, '.nested', 'inner.md'), notes('nested'));
    const real = path.join(inbox, 'real.md');
    await writeFile(real, notes('real files'));

    const log = eventLog();
    const watcher = watchInbox(log);
    // ready: everything found at start has been taken in or skipped.
    await watcher.ready;
    expect(log.events.filter((event) => event.type === 'ingested').map((event) => event.path)).toEqual([
      real,
    ]);

    // Files that appear while watching are skipped the same way.
    const liveHidden = path.join(inbox, '.live.md');
    const livePartial = path.join(inbox, 'live.md.part');
    await writeFile(liveHidden, notes('live hidden'));
    await writeFile(livePartial, notes('live partial'));
    expect((await log.waitFor('skipped', liveHidden)).reason).toBe('hidden');
    expect((await log.waitFor('skipped', livePartial)).reason).toBe('temporary');
    await log.waitFor('moved', real);

    const registered = await harness.db.pool.query<{ source_key: string }>(
      'SELECT source_key FROM documents WHERE starts_with(source_key, $1)',
      [inbox],
    );
    expect(registered.rows.map((row) => row.source_key)).toEqual([real]);
    const left = await readdir(inbox);
    for (const name of [...ignored, '.live.md', 'live.md.part', '.nested']) expect(left).toContain(name);
    expect(await exists(path.join(inbox, '.nested', 'inner.md'))).toBe(true);
  });

  it('files an unsupported file under failed/ with an error report naming UNSUPPORTED_TYPE', async () => {
    const log = eventLog();
    const watcher = watchInbox(log);
    await watcher.ready;
    const file = path.join(inbox, 'x.bin');
    // Random bytes with a leading byte that no sniffed format starts with.
    await writeFile(file, Buffer.concat([Buffer.from([0x01]), randomBytes(4096)]));

    const moved = await log.waitFor('moved', file);
    expect(moved).toMatchObject({ outcome: 'failed', code: 'UNSUPPORTED_TYPE', documentId: null });
    expect(moved.to).toBe(path.join(inbox, 'failed', 'x.bin'));
    const report = JSON.parse(await readFile(`${moved.to}.error.json`, 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ documentId: null, version: null, code: 'UNSUPPORTED_TYPE' });
    expect(String(report.message)).not.toBe('');
    expect(Number.isNaN(Date.parse(String(report.at)))).toBe(false);
    expect(await exists(file)).toBe(false);
    expect(log.of('ingested', file)).toEqual([]);
  });

  it('ingests each sub-folder into the knowledge base of its name, mirrored under processed/ and failed/', async () => {
    const log = eventLog();
    // Present at start (the initial scan) and dropped while watching: both are taken in.
    await mkdir(path.join(inbox, 'finance'));
    const early = path.join(inbox, 'finance', 'q3-notes.md');
    await writeFile(early, notes('quarterly finance'));
    const watcher = watchInbox(log);
    await watcher.ready;
    await mkdir(path.join(inbox, 'team_b-2'));
    const live = path.join(inbox, 'team_b-2', 'q3-notes.md');
    await writeFile(live, notes('team b'));
    const top = path.join(inbox, 'top-notes.md');
    await writeFile(top, notes('the default base'));
    const bad = path.join(inbox, 'finance', 'x.bin');
    await writeFile(bad, Buffer.concat([Buffer.from([0x01]), randomBytes(1024)]));

    expect(await log.waitFor('ingested', early)).toMatchObject({ knowledgeBase: 'finance', created: true });
    expect(await log.waitFor('ingested', live)).toMatchObject({ knowledgeBase: 'team_b-2' });
    expect(await log.waitFor('ingested', top)).toMatchObject({ knowledgeBase: 'default' });
    // The same file name in two folders: two documents, each moved under its own folder's mirror.
    expect((await log.waitFor('moved', early)).to).toBe(
      path.join(inbox, 'processed', 'finance', 'q3-notes.md'),
    );
    expect((await log.waitFor('moved', live)).to).toBe(
      path.join(inbox, 'processed', 'team_b-2', 'q3-notes.md'),
    );
    expect((await log.waitFor('moved', top)).to).toBe(path.join(inbox, 'processed', 'top-notes.md'));
    const failed = await log.waitFor('moved', bad);
    expect(failed).toMatchObject({ outcome: 'failed', code: 'UNSUPPORTED_TYPE' });
    expect(failed.to).toBe(path.join(inbox, 'failed', 'finance', 'x.bin'));
    expect(await exists(`${failed.to}.error.json`)).toBe(true);

    const { rows } = await harness.db.pool.query<{ source_key: string; knowledge_base: string }>(
      'SELECT source_key, knowledge_base FROM documents WHERE starts_with(source_key, $1) ORDER BY source_key',
      [inbox],
    );
    expect(rows).toEqual([
      { source_key: early, knowledge_base: 'finance' },
      { source_key: live, knowledge_base: 'team_b-2' },
      { source_key: top, knowledge_base: 'default' },
    ]);
    // The sub-folders stay (people keep dropping files there); only their files moved.
    expect(await readdir(path.join(inbox, 'finance'))).toEqual([]);
  });

  it('files what is in a sub-folder with an invalid knowledge-base name under failed/, and never goes deeper', async () => {
    const log = eventLog();
    const watcher = watchInbox(log);
    await watcher.ready;
    for (const folder of ['Finance', 'team a', 'ok']) await mkdir(path.join(inbox, folder));
    const upper = path.join(inbox, 'Finance', 'notes.md');
    const spaced = path.join(inbox, 'team a', 'notes.md');
    await writeFile(upper, notes('upper case'));
    await writeFile(spaced, notes('spaces'));
    // Deeper than one level: the folder is reported and left alone, its file never read.
    await mkdir(path.join(inbox, 'ok', 'deeper', 'deepest'), { recursive: true });
    const deep = path.join(inbox, 'ok', 'deeper', 'notes.md');
    const deepest = path.join(inbox, 'ok', 'deeper', 'deepest', 'notes.md');
    await writeFile(deep, notes('too deep'));
    await writeFile(deepest, notes('far too deep'));
    const canary = path.join(inbox, 'ok', 'canary.md');
    await writeFile(canary, notes('canary'));

    for (const [file, folder] of [
      [upper, 'Finance'],
      [spaced, 'team a'],
    ] as const) {
      const moved = await log.waitFor('moved', file);
      expect(moved).toMatchObject({ outcome: 'failed', code: 'VALIDATION_FAILED', documentId: null });
      expect(moved.to).toBe(path.join(inbox, 'failed', folder, 'notes.md'));
      const report = JSON.parse(await readFile(`${moved.to}.error.json`, 'utf8')) as Record<string, unknown>;
      expect(report).toMatchObject({ code: 'VALIDATION_FAILED', reason: 'invalid-knowledge-base' });
    }
    expect((await log.waitFor('skipped', path.join(inbox, 'ok', 'deeper'))).reason).toBe('nested-folder');
    expect((await log.waitFor('moved', canary)).to).toBe(path.join(inbox, 'processed', 'ok', 'canary.md'));
    expect(log.events.filter((event) => event.type === 'ingested').map((event) => event.path)).toEqual([
      canary,
    ]);
    expect(await exists(deep)).toBe(true);
    expect(await exists(deepest)).toBe(true);
    const { rows } = await harness.db.pool.query(
      'SELECT 1 FROM documents WHERE starts_with(source_key, $1) AND source_key <> $2',
      [inbox, canary],
    );
    expect(rows).toEqual([]);
  });
});
