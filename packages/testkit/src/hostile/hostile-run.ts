import { isAegisError } from '@aegis/core';
import type { HostileInput } from './hostile-catalog.ts';

/** What {@link runHostileCase} needs from a running system. */
export interface HostileRunPorts {
  /** Registers and enqueues a document (rejects with AegisError UNSUPPORTED_TYPE when the format is refused). */
  ingest(data: Uint8Array, displayName: string): Promise<{ documentId: string; version: number }>;
  /** Resolves once the version is final. */
  final(documentId: string, version: number): Promise<{ status: string; errorCode: string | null }>;
}

/** How one hostile input went, with a canary document ingested right after it. */
export interface HostileCaseResult {
  name: string;
  /** `completed`, the failure code, or `refused: <code>` when ingestion refused the bytes. */
  outcome: string;
  /** What the outcome had to be. */
  expected: string;
  /** From ingestion to the hostile document's final state (or the refusal), ms. */
  msToOutcome: number;
  /** From ingestion to the canary's completion, ms. */
  canaryMs: number;
  canaryStatus: string;
  /** Size of the hostile input, bytes. */
  bytes: number;
  documentId: string | undefined;
}

async function ingestOrRefusal(
  ports: HostileRunPorts,
  data: Uint8Array,
  name: string,
): Promise<{ documentId: string; version: number } | string> {
  try {
    return await ports.ingest(data, name);
  } catch (error) {
    if (isAegisError(error)) return `refused: ${error.code}`;
    throw error;
  }
}

/**
 * Ingests the hostile input and, at the same moment, a canary document, and waits for both. The expected
 * outcome of an archive format the system refuses at ingestion (its benign twin is refused too) is that same
 * refusal; once the format is accepted, the input's own `expected`.
 */
export async function runHostileCase(
  input: HostileInput,
  ports: HostileRunPorts,
  canary: { data: Uint8Array; displayName: string },
): Promise<HostileCaseResult> {
  let expected: string = input.expected;
  if (input.benign !== undefined) {
    const benign = await ingestOrRefusal(ports, input.benign(), `benign-${input.displayName}`);
    if (typeof benign === 'string') expected = benign;
    else await ports.final(benign.documentId, benign.version);
  }
  const data = await input.build();
  const started = performance.now();
  const [hostile, canaryRegistration] = await Promise.all([
    ingestOrRefusal(ports, data, input.displayName),
    ports.ingest(canary.data, canary.displayName),
  ]);
  const hostileDone =
    typeof hostile === 'string'
      ? Promise.resolve({ outcome: hostile, at: performance.now() })
      : ports.final(hostile.documentId, hostile.version).then((final) => ({
          outcome: final.status === 'completed' ? 'completed' : (final.errorCode ?? final.status),
          at: performance.now(),
        }));
  const canaryDone = ports
    .final(canaryRegistration.documentId, canaryRegistration.version)
    .then((final) => ({ status: final.status, at: performance.now() }));
  const [hostileFinal, canaryFinal] = await Promise.all([hostileDone, canaryDone]);
  return {
    name: input.name,
    outcome: hostileFinal.outcome,
    expected,
    msToOutcome: hostileFinal.at - started,
    canaryMs: canaryFinal.at - started,
    canaryStatus: canaryFinal.status,
    bytes: data.length,
    documentId: typeof hostile === 'string' ? undefined : hostile.documentId,
  };
}
