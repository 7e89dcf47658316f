import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../deploy/promql.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const FILE_MIB = 512;
// The watcher streams: its peak may grow by buffers and the GC's slack, never by the file.
const MAX_GROWTH_MIB = 160;

async function peakRssMiB(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

async function readReport(file: string, timeoutMs: number): Promise<{ code: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return JSON.parse(text) as { code: string };
    if (Date.now() > deadline) throw new Error(`${file} did not appear in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The watcher app as a user starts it, ingesting a file far larger than its memory should grow. */
describe.skipIf(process.platform !== 'linux')('watcher memory on a huge file', { timeout: 300_000 }, () => {
  let harness: PipelineHarness;
  let inbox: string;
  let staging: string;
  let watcher: ChildProcess;

  beforeAll(async () => {
    harness = await createPipelineHarness({ startWorkers: false });
    inbox = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-mem-inbox-')));
    staging = await realpath(await mkdtemp(path.join(tmpdir(), 'aegis-mem-staging-')));
    watcher = spawn(process.execPath, [path.join(REPO_ROOT, 'apps', 'watcher', 'src', 'main.ts')], {
      env: {
        ...process.env,
        ...harness.env,
        INBOX_DIR: inbox,
        WATCH_STABLE_MS: '200',
        METRICS_PORT: '0',
        MIGRATE_ON_START: 'false',
        UPLOAD_MAX_BYTES: String(2 * 1024 ** 3),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Ready once it logs that it watches the inbox.
    await new Promise<void>((resolve, reject) => {
      watcher.once('exit', (code) => reject(new Error(`watcher exited with ${code}`)));
      watcher.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('watching the inbox')) resolve();
      });
    });
  });
  afterAll(async () => {
    if (watcher && watcher.exitCode === null) {
      watcher.kill('SIGTERM');
      await once(watcher, 'exit');
    }
    await harness?.close();
    await rm(inbox, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  });

  it(`streams a ${FILE_MIB} MiB file (refused by type after its last byte) without holding it in memory`, async () => {
    const source = path.join(staging, 'huge.bin');
    const handle = await open(source, 'w');
    const block = randomBytes(1024 * 1024);
    for (let index = 0; index < FILE_MIB; index++) await handle.write(block);
    await handle.close();
    const pid = watcher.pid as number;
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    const before = await peakRssMiB(pid);
    await rename(source, path.join(inbox, 'huge.bin'));
    const report = await readReport(path.join(inbox, 'failed', 'huge.bin.error.json'), 240_000);
    expect(report.code).toBe('UNSUPPORTED_TYPE');
    const after = await peakRssMiB(pid);
    expect(after.hwm - before.rss).toBeLessThan(MAX_GROWTH_MIB);
    // Still alive and watching.
    expect(watcher.exitCode).toBeNull();
  });
});
