import type { Responder } from './http-responder.ts';
import type { SimulatorState } from './simulator-state.ts';
import type { FaultAction, SimRequestRecord, SimRoute } from './types.ts';

/** One request being answered by a route handler. */
export interface Exchange {
  provider: string;
  route: SimRoute;
  /** Parsed JSON body (`{}` for GET). */
  body: Record<string, unknown>;
  record: SimRequestRecord;
  respond: Responder;
  /** The fault taken for this request, if any. */
  fault?: FaultAction;
  state: SimulatorState;
}

/** Scripted content from a `content` fault. */
export function scriptedContent(exchange: Exchange): string | undefined {
  return exchange.fault !== undefined && 'content' in exchange.fault ? exchange.fault.content : undefined;
}

/** Whether a `missingUsage` fault applies. */
export function usageMissing(exchange: Exchange): boolean {
  return exchange.fault !== undefined && 'missingUsage' in exchange.fault;
}
