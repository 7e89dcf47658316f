export type { ExtractedEntity, ExtractedGraph, ExtractedRelation } from './entity-extraction.ts';
export { extractGraph } from './entity-extraction.ts';
export { hashingEmbedding } from './hashing-embedder.ts';
export type { ProviderSimulator, SimulatorFaults } from './provider-simulator.ts';
export { startProviderSimulator } from './provider-simulator.ts';
export { DEFAULT_MODELS } from './simulator-state.ts';
export type {
  FaultAction,
  FaultRoute,
  FaultSpec,
  ProviderBehaviour,
  SimBillingEntry,
  SimProtocol,
  SimRequestRecord,
  SimRoute,
  SimStats,
  SimulatorOptions,
  StatusFault,
} from './types.ts';
