import type { FaultAction, FaultSpec, SimRoute } from './types.ts';

/** Injected faults, matched first-in first-out per provider and route. */
export interface FaultRegistry {
  /** Adds a fault; returns its id. */
  add(spec: FaultSpec): number;
  /** Removes all faults, or only those of `provider`. */
  clear(provider?: string): void;
  /** Faults not yet used up, in match order. */
  list(): FaultSpec[];
  /**
   * Consumes one use of the oldest fault matching `provider` and `route` and returns its action.
   * `content` faults only match chat routes.
   */
  take(provider: string, route: SimRoute): FaultAction | undefined;
}

interface StoredFault {
  id: number;
  spec: FaultSpec;
  remaining: number;
}

function actionOf(spec: FaultSpec): FaultAction {
  const { provider: _provider, route: _route, times: _times, ...action } = spec;
  return action as FaultAction;
}

export function createFaultRegistry(): FaultRegistry {
  let faults: StoredFault[] = [];
  let nextId = 1;
  return {
    add(spec) {
      const times = spec.times ?? Number.POSITIVE_INFINITY;
      const id = nextId++;
      if (times > 0) faults.push({ id, spec: { ...spec }, remaining: times });
      return id;
    },
    clear(provider) {
      faults = provider === undefined ? [] : faults.filter((fault) => fault.spec.provider !== provider);
    },
    list() {
      return faults.map((fault) => ({
        ...fault.spec,
        ...(Number.isFinite(fault.remaining) ? { times: fault.remaining } : {}),
      }));
    },
    take(provider, route) {
      const match = faults.find((fault) => {
        const wanted = fault.spec.route ?? '*';
        if (fault.spec.provider !== provider || (wanted !== '*' && wanted !== route)) return false;
        return !('content' in fault.spec) || route === 'chat';
      });
      if (match === undefined) return undefined;
      match.remaining--;
      if (match.remaining <= 0) faults = faults.filter((fault) => fault !== match);
      return actionOf(match.spec);
    },
  };
}
