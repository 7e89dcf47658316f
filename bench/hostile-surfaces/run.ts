/**
 * bench/hostile-surfaces: the hostile inputs of the surfaces (watched folder and HTTP API), each against the
 * real processes started as a user starts them (`node apps/api/src/main.ts`, `apps/watcher`, one worker), with
 * the provider simulator, Postgres and Redis. Per input: the code it ends with, the time to that code, the peak
 * RSS of the process it targets (VmHWM from /proc), and how long a canary (an authenticated API request, or a
 * normal file in the inbox) took meanwhile. The parsing bombs are measured by bench/ of the sandbox work.
 *
 * Run: `npm run bench:hostile-surfaces` (writes bench/results/hostile-surfaces-<day>.json and prints the table).
 * Flags: --big-mib N (size of the watched big file; default 1536), --out FILE.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdtemp, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApiKeyStore } from '@aegis/stores';
import {
  cleanupOnSignal,
  createRound,
  isoDay,
  machineInfo,
  REPO_ROOT,
  spawnWorker,
  startSimulator,
  stopProcess,
  waitForWorkers,
} from '../pipeline-throughput/environment.ts';
import { freePort } from '../router-overhead/child-server.ts';

const { values: flags } = parseArgs({
  options: { 'big-mib': { type: 'string', default: '1536' }, out: { type: 'string' } },
});
const BIG_MIB = Number(flags['big-mib']);

interface Row {
  surface: 'watcher' | 'api';
  input: string;
  outcome: string;
  secondsToOutcome: number;
  peakRssMiB: number;
  rssBeforeMiB: number;
  canaryMs: number | null;
}

async function memory(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/** Resets the kernel's high-water mark to the current RSS, so the next peak is this input's. */
async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {});
}

function spawnApp(main: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, main)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return child;
}

async function until<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A raw connection that sends `text` and then stalls; resolves with the seconds until the server closed it. */
async function stall(port: number, text: string): Promise<{ seconds: number; answer: string }> {
  const started = performance.now();
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.write(text);
  await new Promise((resolve) => socket.on('close', resolve));
  return { seconds: (performance.now() - started) / 1000, answer: Buffer.concat(chunks).toString('utf8') };
}

// The flood comes from another loopback address than the canary: the guard refuses the flooding address only.
const FLOOD_ADDRESS = '127.0.0.2';

/** POST /v1/documents with a guessed key from `localAddress`; resolves with the status. */
function guessFrom(localAddress: string, port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = '{"path":"/x"}';
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        localAddress,
        method: 'POST',
        path: '/v1/documents',
        headers: { 'x-api-key': key, 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const sim = await startSimulator();
const pepper = randomBytes(36).toString('base64');
const round = await createRound(sim, {
  API_KEY_PEPPER: pepper,
  SESSION_SECRET: randomBytes(36).toString('base64'),
  UPLOAD_MAX_BYTES: String(2 * 1024 ** 3),
  LOG_LEVEL: 'error',
});
const inbox = await mkdtemp(join(tmpdir(), 'aegis-bench-inbox-'));
const outside = await mkdtemp(join(tmpdir(), 'aegis-bench-outside-'));
const children: ChildProcess[] = [];
cleanupOnSignal(async () => {
  await Promise.allSettled(children.map((child) => stopProcess(child)));
  await rm(inbox, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const rows: Row[] = [];
// Taken first: the round's connections are closed by the end.
const machine = await machineInfo(round.db, round.redis);
try {
  const port = await freePort();
  const env = {
    ...round.env,
    API_PORT: String(port),
    API_HOST: '127.0.0.1',
    INBOX_DIR: inbox,
    WATCH_STABLE_MS: '200',
  };
  const api = spawnApp('apps/api/src/main.ts', env);
  const watcher = spawnApp('apps/watcher/src/main.ts', env);
  children.push(api, watcher);
  spawnWorker(round);
  await waitForWorkers(round, 1, 60_000);
  const base = `http://127.0.0.1:${port}`;
  await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 30_000, 'API up');
  const key = (await createApiKeyStore({ pool: round.db.pool, pepper }).create('bench', ['admin'])).key;
  const headers = { 'x-api-key': key };
  const canaryRequest = async (): Promise<number> => {
    const started = performance.now();
    const response = await fetch(`${base}/v1/documents?limit=1`, { headers });
    if (response.status !== 200) throw new Error(`canary request answered ${response.status}`);
    return performance.now() - started;
  };
  const filed = (name: string, folder: 'failed' | 'processed') =>
    until(
      async () => {
        const text = await readFile(
          join(inbox, folder, folder === 'failed' ? `${name}.error.json` : name),
          'utf8',
        );
        return folder === 'failed' ? (JSON.parse(text) as { code: string }).code : 'processed';
      },
      600_000,
      `${name} in ${folder}/`,
    );
  const canaryFile = async (): Promise<number> => {
    const name = `canary-${randomBytes(4).toString('hex')}.md`;
    const started = performance.now();
    await writeFile(join(inbox, name), `# Canary\n\nA short note ${randomBytes(8).toString('hex')}.\n`);
    await filed(name, 'processed');
    return performance.now() - started;
  };
  await canaryFile(); // warm up the pipeline once

  // --- Watcher: a huge file (streamed, refused by type after the last byte), symlink and hard link escapes.
  {
    const name = 'huge.bin';
    const file = join(outside, name);
    const handle = await open(file, 'w');
    const block = randomBytes(1024 * 1024);
    for (let index = 0; index < BIG_MIB; index++) await handle.write(block);
    await handle.close();
    const pid = watcher.pid as number;
    await resetPeak(pid);
    const before = await memory(pid);
    const started = performance.now();
    const canary = canaryFile();
    // Moved in atomically (a rename), as a finished copy arrives.
    await rename(file, join(inbox, name));
    const code = await filed(name, 'failed');
    rows.push({
      surface: 'watcher',
      input: `${BIG_MIB} MiB file (random bytes, UPLOAD_MAX_BYTES 2 GiB)`,
      outcome: code,
      secondsToOutcome: (performance.now() - started) / 1000,
      peakRssMiB: (await memory(pid)).hwm,
      rssBeforeMiB: before.rss,
      canaryMs: await canary,
    });
  }
  for (const [input, make] of [
    ['symlink to a secret outside the inbox', (target: string, at: string) => symlink(target, at)],
    ['hard link to a secret outside the inbox', (target: string, at: string) => link(target, at)],
  ] as const) {
    const secret = join(outside, `secret-${randomBytes(4).toString('hex')}.txt`);
    await writeFile(secret, `DATABASE_URL=postgres://u:${randomBytes(12).toString('hex')}@db/x\n`);
    const name = `escape-${randomBytes(4).toString('hex')}.txt`;
    const pid = watcher.pid as number;
    await resetPeak(pid);
    const before = await memory(pid);
    const started = performance.now();
    const canary = canaryFile();
    await make(secret, join(inbox, name));
    const code = await filed(name, 'failed');
    rows.push({
      surface: 'watcher',
      input,
      outcome: code,
      secondsToOutcome: (performance.now() - started) / 1000,
      peakRssMiB: (await memory(pid)).hwm,
      rssBeforeMiB: before.rss,
      canaryMs: await canary,
    });
  }

  // --- API: concurrent large uploads, slow bodies and headers, a wrong-key flood.
  const apiPid = api.pid as number;
  {
    await resetPeak(apiPid);
    const before = await memory(apiPid);
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const form = new FormData();
        form.append('file', new Blob([randomBytes(10 * 1024 * 1024)]), 'big.bin');
        return (await fetch(`${base}/v1/documents`, { method: 'POST', headers, body: form })).status;
      }),
    );
    rows.push({
      surface: 'api',
      input: '10 concurrent 10 MB uploads (unsupported bytes)',
      outcome: [...new Set(statuses)].join(','),
      secondsToOutcome: (performance.now() - started) / 1000,
      peakRssMiB: (await memory(apiPid)).hwm,
      rssBeforeMiB: before.rss,
      canaryMs: await canaryRequest(),
    });
  }
  {
    await resetPeak(apiPid);
    const before = await memory(apiPid);
    const boundary = 'slowbenchboundary';
    const uploads = Array.from({ length: 40 }, () =>
      stall(
        port,
        `POST /v1/documents HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 1000000\r\n\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n\r\nx`,
      ),
    );
    const logins = Array.from({ length: 20 }, () =>
      stall(
        port,
        'POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a',
      ),
    );
    const headerless = Array.from({ length: 20 }, () =>
      stall(port, 'GET /v1/documents HTTP/1.1\r\nHost: x\r\n'),
    );
    const canary = canaryRequest();
    const cut = await Promise.all([...uploads, ...logins, ...headerless]);
    const codes = new Set(cut.map((result) => /^HTTP\/1\.1 (\d+)/.exec(result.answer)?.[1] ?? 'closed'));
    rows.push({
      surface: 'api',
      input: '40 stalled uploads + 20 stalled login bodies + 20 unfinished headers',
      outcome: [...codes].join(','),
      secondsToOutcome: Math.max(...cut.map((result) => result.seconds)),
      peakRssMiB: (await memory(apiPid)).hwm,
      rssBeforeMiB: before.rss,
      canaryMs: await canary,
    });
  }
  {
    await resetPeak(apiPid);
    const before = await memory(apiPid);
    const started = performance.now();
    const statuses = new Map<number, number>();
    const guessed = () => `aegis_${randomBytes(4).toString('hex')}_${randomBytes(24).toString('hex')}`;
    for (let batch = 0; batch < 40; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => guessFrom(FLOOD_ADDRESS, port, guessed())),
      );
      for (const status of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    const seconds = (performance.now() - started) / 1000;
    rows.push({
      surface: 'api',
      input: '2000 requests with wrong keys from one address (50 at a time)',
      outcome: [...statuses].map(([status, count]) => `${count}x${status}`).join(' '),
      secondsToOutcome: seconds,
      peakRssMiB: (await memory(apiPid)).hwm,
      rssBeforeMiB: before.rss,
      canaryMs: await canaryRequest(),
    });
  }
  // Refusal summaries are written when their window ends or the API stops: stop it, then count the rows.
  await stopProcess(api);
  const audit = await round.db.pool.query<{ n: number; count: number }>(
    `SELECT count(*)::int AS n, coalesce(sum((details->>'count')::int), 0)::int AS count
       FROM audit_log WHERE ip = $1`,
    [FLOOD_ADDRESS],
  );
  const flood = rows.at(-1);
  if (flood) flood.outcome += `; ${audit.rows[0]?.n} audit row(s) for ${audit.rows[0]?.count} requests`;
} finally {
  await Promise.allSettled(children.map((child) => stopProcess(child)));
  await round.close();
  await sim.stop();
  await rm(inbox, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
}

const result = { benchmark: 'hostile-surfaces', machine, rows };
const out = flags.out ?? join(REPO_ROOT, 'bench', 'results', `hostile-surfaces-${isoDay()}.json`);
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  '| surface | hostile input | ends with | time to it (s) | peak RSS (MiB) | RSS before (MiB) | canary (ms) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const row of rows)
  console.log(
    `| ${row.surface} | ${row.input} | ${row.outcome} | ${row.secondsToOutcome.toFixed(2)} | ${row.peakRssMiB.toFixed(0)} | ${row.rssBeforeMiB.toFixed(0)} | ${row.canaryMs === null ? '-' : row.canaryMs.toFixed(0)} |`,
  );
console.log(`written to ${out}`);
