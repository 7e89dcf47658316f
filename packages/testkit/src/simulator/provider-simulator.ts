import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleAdmin } from './admin-routes.ts';
import { errorBody, OLLAMA_OOM_MESSAGE, openAiErrorBody } from './error-bodies.ts';
import { createFaultRegistry } from './fault-registry.ts';
import type { ResponseMode } from './http-responder.ts';
import { createResponder } from './http-responder.ts';
import { isRecord } from './is-record.ts';
import { handleOllama, OLLAMA_MALFORMED_FRAME } from './ollama-handlers.ts';
import { OPENAI_MALFORMED_FRAME } from './openai-chat.ts';
import { handleOpenAi } from './openai-handlers.ts';
import { createPromptCache } from './prompt-cache.ts';
import { createRequestLog } from './request-log.ts';
import type { RouteTarget } from './route-table.ts';
import { resolveRoute } from './route-table.ts';
import { SimHttpError } from './sim-http-error.ts';
import type { SimulatorState } from './simulator-state.ts';
import { resolveModels } from './simulator-state.ts';
import type {
  FaultAction,
  FaultSpec,
  ProviderBehaviour,
  SimBillingEntry,
  SimProtocol,
  SimRequestRecord,
  SimRoute,
  SimStats,
  SimulatorOptions,
} from './types.ts';

/** Fault injection controls of a running simulator. */
export interface SimulatorFaults {
  /** Adds a fault (FIFO among faults matching the same request); returns its id. */
  add(spec: FaultSpec): number;
  /** Removes all faults, or only those of `provider`. */
  clear(provider?: string): void;
  /** Faults not yet used up, in match order. */
  list(): FaultSpec[];
}

/** A running provider simulator. */
export interface ProviderSimulator extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Ollama host for the `ollama` SDK (same as `url`). */
  readonly ollamaUrl: string;
  /** Base URL for the `openai` SDK: `${url}/${provider}/v1`. Default provider `openai`. */
  openaiBaseUrl(provider?: string): string;
  readonly faults: SimulatorFaults;
  /** Live list of request records, oldest first. */
  readonly requests: readonly SimRequestRecord[];
  /**
   * The simulator's own bill: every request it answered, or finished after the client had gone (timeout,
   * abort, cut stream), with the usage it would charge. Also `GET /__sim/billing`.
   */
  billing(): SimBillingEntry[];
  /** Resolves once no API request is being worked on (answers finishing after their client left included). */
  idle(): Promise<void>;
  /** Number of recorded requests, optionally of one provider and route. */
  count(provider?: string, route?: SimRoute): number;
  /** First record (already seen or future) matching `predicate`. Default timeout 5000 ms. */
  waitForRequest(
    predicate: (record: SimRequestRecord) => boolean,
    timeoutMs?: number,
  ): Promise<SimRequestRecord>;
  /** ms epoch at which request `requestId`'s exchange closed. Default timeout 5000 ms. */
  waitForClose(requestId: number, timeoutMs?: number): Promise<number>;
  /** Changes a provider's quirks at runtime (merged over the current ones). */
  setProviderBehaviour(provider: string, behaviour: ProviderBehaviour): void;
  stats(): SimStats;
  /** Clears faults, request records, the prompt cache and runtime behaviour changes. */
  reset(): void;
  /** Stops listening and destroys open sockets (hanging requests included). */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5000;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    // The client went away while sending; the close handler records it.
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function hasBearer(req: IncomingMessage): boolean {
  return /^Bearer\s+\S+/i.test(req.headers.authorization ?? '');
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted because the client went away.
  }
}

function modeFor(fault: FaultAction | undefined, protocol: SimProtocol): ResponseMode {
  return {
    malformed: fault !== undefined && 'malformed' in fault,
    dropMidStream: fault !== undefined && 'dropMidStream' in fault,
    malformedFrame: protocol === 'ollama' ? OLLAMA_MALFORMED_FRAME : OPENAI_MALFORMED_FRAME,
    malformedAt: protocol === 'ollama' ? 'last' : 'second',
    ...(fault !== undefined && 'frameDelayMs' in fault ? { frameDelayMs: fault.frameDelayMs } : {}),
  };
}

/**
 * Starts an HTTP server on 127.0.0.1 speaking Ollama's API at the root and the OpenAI API under
 * `/{provider}/v1`, with deterministic outputs, real usage fields and injectable faults.
 */
export async function startProviderSimulator(options: SimulatorOptions = {}): Promise<ProviderSimulator> {
  const initialBehaviours = Object.entries(options.providers ?? {});
  const state: SimulatorState = {
    models: resolveModels(options),
    strictModels: options.strictModels ?? false,
    embeddingDimensions: options.embeddingDimensions ?? 1024,
    embeddingDimensionsByModel: { ...options.embeddingDimensionsByModel },
    latencyMs: options.latencyMs ?? 0,
    behaviours: new Map(initialBehaviours),
    faults: createFaultRegistry(),
    log: createRequestLog(),
    promptCache: createPromptCache(options.cacheMinTokens ?? 1024),
    billing: [],
  };

  const billing = (): SimBillingEntry[] =>
    state.billing.map((entry) => {
      const record = state.log.records.find((candidate) => candidate.id === entry.requestId);
      const cut =
        record?.fault !== undefined && ('dropMidStream' in record.fault || 'malformed' in record.fault);
      return {
        ...entry,
        ...(record?.clientRequestId === undefined ? {} : { clientRequestId: record.clientRequestId }),
        clientGone: record === undefined || record.aborted || cut,
      };
    });

  const stats = (): SimStats => ({ ...state.log.stats(), pendingFaults: state.faults.list() });
  const reset = (): void => {
    state.faults.clear();
    state.log.clear();
    state.promptCache.clear();
    state.billing.length = 0;
    state.behaviours = new Map(initialBehaviours);
  };

  let active = 0;
  let idleWaiters: Array<() => void> = [];
  const idle = (): Promise<void> =>
    active === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));

  async function serveApi(
    target: Extract<RouteTarget, { kind: 'api' }>,
    req: IncomingMessage,
    res: ServerResponse,
    rawBody: string,
  ): Promise<void> {
    active += 1;
    try {
      await serveApiOnce(target, req, res, rawBody);
    } finally {
      active -= 1;
      if (active === 0) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  async function serveApiOnce(
    target: Extract<RouteTarget, { kind: 'api' }>,
    req: IncomingMessage,
    res: ServerResponse,
    rawBody: string,
  ): Promise<void> {
    const { protocol, provider, route } = target;
    const parsed = parseJson(rawBody);
    const body = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
    const stream = route === 'chat' && (protocol === 'ollama' ? body.stream !== false : body.stream === true);
    const clientRequestId = req.headers['x-client-request-id'];
    const record = state.log.open({
      provider,
      route,
      ...(typeof clientRequestId === 'string' ? { clientRequestId } : {}),
      ...(typeof body.model === 'string' ? { model: body.model } : {}),
      stream,
      body: parsed.ok ? parsed.value : undefined,
    });
    const closed = new AbortController();
    let droppedBySimulator = false;
    res.on('close', () => {
      closed.abort();
      const aborted = !res.writableFinished && !droppedBySimulator;
      state.log.update(record, { closedAt: Date.now(), aborted });
    });
    const events = {
      onStatus: (status: number) => state.log.update(record, { status }),
      onEnd: () => state.log.update(record, { endedAt: Date.now() }),
      onDrop: () => {
        droppedBySimulator = true;
      },
    };
    const plain = createResponder(res, {}, events);
    const requestHeaders: Record<string, string> =
      protocol === 'openai' ? { 'x-request-id': `req_sim_${record.id}` } : {};

    try {
      if (req.method !== target.method) {
        throw new SimHttpError(405, `method ${req.method} not allowed on ${route}`, null);
      }
      if (protocol === 'openai' && !hasBearer(req)) {
        return await plain.json(401, openAiErrorBody(401), requestHeaders);
      }
      if (!parsed.ok) {
        throw new SimHttpError(400, 'We could not parse the JSON body of your request.', null);
      }
      const fault = state.faults.take(provider, route);
      if (fault !== undefined) state.log.update(record, { fault });
      const wait = state.latencyMs + (fault !== undefined && 'latencyMs' in fault ? fault.latencyMs : 0);
      if (wait > 0) await pause(wait, closed.signal);
      // A client that gave up during the wait does not stop the work: like a real provider, the simulator
      // finishes the answer (writing it goes nowhere) and bills it. Hung and dropped requests are not billed.
      if (fault !== undefined && 'hang' in fault) return;
      if (fault !== undefined && 'drop' in fault) return plain.drop();
      if (fault !== undefined && 'ollamaOom' in fault) {
        return await plain.json(500, { error: OLLAMA_OOM_MESSAGE }, requestHeaders);
      }
      if (fault !== undefined && 'status' in fault) {
        const headers: Record<string, string> = { ...requestHeaders };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return await plain.json(fault.status, fault.body ?? errorBody(protocol, fault.status), headers);
      }

      const respond = createResponder(res, modeFor(fault, protocol), events);
      const exchange = { provider, route, body, record, respond, state, ...(fault ? { fault } : {}) };
      await (protocol === 'ollama' ? handleOllama(exchange) : handleOpenAi(exchange));
    } catch (error) {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      if (!(error instanceof SimHttpError)) console.error('provider simulator: handler failed', error);
      const status = error instanceof SimHttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof SimHttpError ? error.code : null;
      await plain.json(status, errorBody(protocol, status, message, code), requestHeaders);
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const target = resolveRoute(url.pathname);
    const rawBody = await readBody(req);
    const noEvents = { onStatus: () => {}, onEnd: () => {}, onDrop: () => {} };
    if (target === undefined) return createResponder(res, {}, noEvents).text(404, '404 page not found');
    if (target.kind === 'root') return createResponder(res, {}, noEvents).text(200, 'Ollama is running');
    if (target.kind === 'admin') {
      const parsed = parseJson(rawBody);
      const respond = createResponder(res, {}, noEvents);
      if (!parsed.ok) return respond.json(400, { error: 'invalid JSON body' });
      return handleAdmin(target.action, req, url, parsed.value, respond, {
        addFault: (spec) => state.faults.add(spec),
        clearFaults: (provider) => state.faults.clear(provider),
        stats,
        reset,
        requests: () => state.log.records,
        billing,
      });
    }
    return serveApi(target, req, res, rawBody);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      console.error('provider simulator: request failed', error);
      res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      state.log.dispose();
    });
    return closing;
  };

  return {
    url,
    port,
    ollamaUrl: url,
    openaiBaseUrl: (provider = 'openai') => `${url}/${provider}/v1`,
    faults: {
      add: (spec) => state.faults.add(spec),
      clear: (provider) => state.faults.clear(provider),
      list: () => state.faults.list(),
    },
    get requests() {
      return state.log.records;
    },
    billing,
    idle,
    count: (provider, route) => state.log.count(provider, route),
    waitForRequest: (predicate, timeoutMs = DEFAULT_WAIT_MS) => state.log.waitFor(predicate, timeoutMs),
    waitForClose: (requestId, timeoutMs = DEFAULT_WAIT_MS) => state.log.waitForClose(requestId, timeoutMs),
    setProviderBehaviour(provider, behaviour) {
      state.behaviours.set(provider, { ...state.behaviours.get(provider), ...behaviour });
    },
    stats,
    reset,
    close,
    [Symbol.asyncDispose]: close,
  };
}
