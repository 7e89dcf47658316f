import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A server running in its own Node process, so its CPU time is not charged to the measuring process. */
export interface ChildServer {
  pid: number;
  /** The first capture group of `readyPattern` (e.g. the URL the server printed). */
  ready: string;
  stop(): Promise<void>;
}

export interface StartChildOptions {
  name: string;
  /** Arguments after the node executable (script path first). */
  args: readonly string[];
  /** Matched against everything the child printed so far; group 1 is returned as `ready`. */
  readyPattern: RegExp;
  env?: NodeJS.ProcessEnv | undefined;
  /** Default 20000. */
  timeoutMs?: number | undefined;
}

const KEEP_OUTPUT_CHARS = 8_000;

/** Starts `node <args>` and resolves once its output matches `readyPattern`; rejects with its output otherwise. */
export async function startChildServer(options: StartChildOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, [...options.args], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = once(child, 'exit');
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`${options.name} not ready within ${options.timeoutMs ?? 20_000} ms:\n${output}`)),
      options.timeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer): void => {
      // Keep only the tail: the child keeps running for minutes, and its output is only read on failure.
      output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
      const match = options.readyPattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? match[0]);
      }
    };
    // Both pipes must keep being read after startup, or a chatty child blocks once the pipe buffer fills.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited early (code ${code}, signal ${signal}):\n${output}`));
    }, reject);
  }).catch(async (error: unknown) => {
    await stopChild(child, exited);
    throw error;
  });
  return {
    pid: child.pid ?? -1,
    ready,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited.catch(() => {});
  clearTimeout(timer);
}

/** A TCP port that was free a moment ago, for a child that cannot be told to pick its own. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}
