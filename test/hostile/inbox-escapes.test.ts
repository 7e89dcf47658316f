import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@aegis/observability';
import { startWatcher, type Watcher, type WatcherEvent } from '@aegis/watcher';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const MAX_BYTES = 256 * 1024;
const logger = createLogger({ level: 'silent' });

/** Resolves with the first `moved` event of `file` (bounded). */
function movedOf(events: WatcherEvent[], listeners: Set<() => void>, file: string, timeoutMs = 60_000) {
  return new Promise<Extract<WatcherEvent, { type: 'moved' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} was not moved in ${timeoutMs} ms`)), timeoutMs);
    const check = () => {
      const found = events.find(
        (event): event is Extract<WatcherEvent, { type: 'moved' }> =>
          event.type === 'moved' && event.path === file,
      );
      if (!found) return;
      clearTimeout(timer);
      listeners.delete(check);
      resolve(found);
    };
    listeners.add(check);
    check();
  });
}

/**
 * Files that try to make the watcher read outside its inbox: symlinks and hard links to secrets, links to
 * folders, FIFOs, a link swapped in while the watcher looks, `failed/` replaced by a link, an oversized file.
 * Each must end in `failed/` with its code, nothing of the secret may be read (Postgres, providers), the
 * watcher keeps running, and a canary file dropped at the same time is processed.
 */
describe('the watcher never reads outside its inbox', { timeout: 300_000 }, () => {
  let harness: PipelineHarness;
  let outside: string;
  let inbox: string;
  let watcher: Watcher;
  const events: WatcherEvent[] = [];
  const listeners = new Set<() => void>();
  const secret = `TOP-SECRET-${randomUUID()}`;

  beforeAll(async () => {
    harness = await createPipelineHarness({ env: { UPLOAD_MAX_BYTES: String(MAX_BYTES) } });
    outside = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-outside-')));
    await writeFile(path.join(outside, 'shadow.txt'), `root:${secret}:19000:0:99999:7:::\n`);
    await writeFile(path.join(outside, '.env'), `DATABASE_URL=postgres://u:${secret}@db/x\n`);
    await mkdir(path.join(outside, 'folder'));
    await writeFile(path.join(outside, 'folder', 'inner.txt'), `${secret}\n`);
  });
  afterAll(async () => {
    await harness?.close();
    await rm(outside, { recursive: true, force: true });
  });
  beforeEach(async () => {
    inbox = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-hostile-inbox-')));
    events.length = 0;
    watcher = startWatcher({
      runtime: harness.runtime,
      inboxDir: inbox,
      stableMs: 100,
      logger,
      checkIntervalMs: 300,
      onEvent(event) {
        events.push(event);
        for (const listener of [...listeners]) listener();
      },
    });
    await watcher.ready;
  });
  afterEach(async () => {
    await watcher.close();
    await rm(inbox, { recursive: true, force: true });
  });

  async function expectSecretNowhere(): Promise<void> {
    const tables = ['documents', 'document_versions', 'document_pages', 'document_chunks'];
    for (const table of tables) {
      const { rows } = await harness.db.pool.query(`SELECT t::text AS row FROM ${table} t`);
      expect(rows.map((row) => row.row).join('\n'), table).not.toContain(secret);
    }
    expect(JSON.stringify(harness.sim.requests.map((request) => request.body))).not.toContain(secret);
  }

  async function report(moved: Extract<WatcherEvent, { type: 'moved' }>): Promise<Record<string, unknown>> {
    return JSON.parse(await readFile(`${moved.to}.error.json`, 'utf8')) as Record<string, unknown>;
  }

  it('files symlinks, hard links, links to folders and FIFOs away under failed/ with a code, reading none; a canary completes', async () => {
    const cases: Array<{ name: string; make: (file: string) => Promise<void>; reason: string }> = [
      {
        name: 'shadow.txt',
        make: (file) => symlink(path.join(outside, 'shadow.txt'), file),
        reason: 'symlink',
      },
      { name: 'env.md', make: (file) => symlink(path.join(outside, '.env'), file), reason: 'symlink' },
      {
        name: 'relative.txt',
        make: (file) => symlink('../../../../../../etc/hostname', file),
        reason: 'symlink',
      },
      { name: 'folder-link', make: (file) => symlink(path.join(outside, 'folder'), file), reason: 'symlink' },
      { name: 'hard.txt', make: (file) => link(path.join(outside, 'shadow.txt'), file), reason: 'hard-link' },
      {
        name: 'pipe.txt',
        make: async (file) => {
          execFileSync('mkfifo', [file]);
        },
        reason: 'not-a-regular-file',
      },
    ];
    for (const { name, make } of cases) await make(path.join(inbox, name));
    const canaryName = `canary-${randomUUID()}.md`;
    await writeFile(path.join(inbox, canaryName), `# Canary\n\nA harmless note about ${randomUUID()}.\n`);

    for (const { name, reason } of cases) {
      const moved = await movedOf(events, listeners, path.join(inbox, name));
      expect({ name, outcome: moved.outcome, code: moved.code }).toEqual({
        name,
        outcome: 'failed',
        code: 'PATH_NOT_ALLOWED',
      });
      expect(await report(moved)).toMatchObject({ code: 'PATH_NOT_ALLOWED', reason });
    }
    const canary = await movedOf(events, listeners, path.join(inbox, canaryName));
    expect(canary.outcome).toBe('processed');
    // The links were moved as links: the targets are untouched and nothing was copied.
    expect(await readFile(path.join(outside, 'shadow.txt'), 'utf8')).toContain(secret);
    expect(await readdir(path.join(inbox, 'failed'))).toEqual(
      expect.arrayContaining(['shadow.txt', 'hard.txt', 'shadow.txt.error.json']),
    );
    await expectSecretNowhere();
  });

  it('files an oversized document away with DOCUMENT_TOO_LARGE without reading it whole', async () => {
    const big = path.join(inbox, 'big.txt');
    await writeFile(big, Buffer.alloc(MAX_BYTES * 4, 'a'));
    const moved = await movedOf(events, listeners, big);
    expect(moved.code).toBe('DOCUMENT_TOO_LARGE');
  });

  it('never reads a file swapped for a link while the watcher looks at it (property over swap timings)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 400 }), fc.boolean(), async (delayMs, hard) => {
        const name = `swap-${randomUUID()}.txt`;
        const file = path.join(inbox, name);
        await writeFile(file, `harmless text ${randomUUID()}\n`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Replace the entry atomically with a link to the secret (rename over it), as an attacker racing would.
        const staged = path.join(inbox, `.staging-${randomUUID()}`);
        if (hard) await link(path.join(outside, 'shadow.txt'), staged);
        else await symlink(path.join(outside, 'shadow.txt'), staged);
        await rename(staged, file);
        const moved = await movedOf(events, listeners, file);
        // Either it was taken before the swap (its harmless bytes) or refused; never the secret.
        expect(['processed', 'failed']).toContain(moved.outcome);
        await expectSecretNowhere();
      }),
      { numRuns: 8 },
    );
  });

  it('refuses to move anything into failed/ when it was replaced by a link', async () => {
    const elsewhere = await mkdtemp(path.join(tmpdir(), 'aegis-elsewhere-'));
    try {
      await symlink(elsewhere, path.join(inbox, 'failed'));
      const link1 = path.join(inbox, 'bad.txt');
      await symlink(path.join(outside, 'shadow.txt'), link1);
      const error = await new Promise<WatcherEvent>((resolve) => {
        const check = () => {
          const found = events.find((event) => event.type === 'error' && event.path === link1);
          if (found) {
            listeners.delete(check);
            resolve(found);
          }
        };
        listeners.add(check);
        check();
      });
      expect(error.type).toBe('error');
      expect(await readdir(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses a knowledge-base sub-folder that is a symbolic link: the link is filed away, nothing under it read', async () => {
    const folder = path.join(inbox, 'finance');
    await symlink(path.join(outside, 'folder'), folder);
    const canary = path.join(inbox, 'team', `canary-${randomUUID()}.md`);
    await mkdir(path.dirname(canary));
    await writeFile(canary, `# Canary\n\nA harmless note about ${randomUUID()}.\n`);
    const moved = await movedOf(events, listeners, folder);
    expect(moved).toMatchObject({ outcome: 'failed', code: 'PATH_NOT_ALLOWED' });
    expect(await report(moved)).toMatchObject({ code: 'PATH_NOT_ALLOWED', reason: 'symlink' });
    expect((await movedOf(events, listeners, canary)).outcome).toBe('processed');
    expect(events.filter((event) => event.type === 'ingested').map((event) => event.path)).toEqual([canary]);
    expect(await readFile(path.join(outside, 'folder', 'inner.txt'), 'utf8')).toContain(secret);
    await expectSecretNowhere();
  });

  it('applies the inbox checks to files in a knowledge-base sub-folder: links and hard links are filed under failed/<kb>/, unread', async () => {
    const folder = path.join(inbox, 'finance');
    await mkdir(folder);
    const linked = path.join(folder, 'shadow.txt');
    const hard = path.join(folder, 'hard.txt');
    await symlink(path.join(outside, 'shadow.txt'), linked);
    await link(path.join(outside, 'shadow.txt'), hard);
    for (const [file, reason] of [
      [linked, 'symlink'],
      [hard, 'hard-link'],
    ] as const) {
      const moved = await movedOf(events, listeners, file);
      expect(moved).toMatchObject({ outcome: 'failed', code: 'PATH_NOT_ALLOWED' });
      expect(moved.to).toBe(path.join(inbox, 'failed', 'finance', path.basename(file)));
      expect(await report(moved)).toMatchObject({ code: 'PATH_NOT_ALLOWED', reason });
    }
    await expectSecretNowhere();
  });

  it('never reads through a sub-folder swapped for a link while the watcher looks at its file (property over swap timings)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 400 }), async (delayMs) => {
        const name = `swap-${randomUUID()}.txt`;
        const folder = path.join(inbox, `kb-${randomUUID().slice(0, 8)}`);
        // The attacker's folder holds a file of the same name with the secret.
        const decoy = await mkdtemp(path.join(outside, 'decoy-'));
        await writeFile(path.join(decoy, name), `${secret}\n`);
        await mkdir(folder);
        await writeFile(path.join(folder, name), `harmless text ${randomUUID()}\n`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Replace the folder with a link to the decoy: rename it out of the inbox, link in its place.
        await rename(folder, path.join(outside, `away-${randomUUID()}`));
        await symlink(decoy, folder);
        // The link itself is an entry of the inbox: refused and filed away as a link.
        const moved = await movedOf(events, listeners, folder);
        expect(moved).toMatchObject({ outcome: 'failed', code: 'PATH_NOT_ALLOWED' });
        // Taken before the swap (its harmless bytes) or refused; never the decoy.
        await expectSecretNowhere();
        expect(await readFile(path.join(decoy, name), 'utf8')).toContain(secret);
      }),
      { numRuns: 6 },
    );
  });
});
