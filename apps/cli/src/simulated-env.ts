import type { ProviderSimulator } from '@aegis/testkit';

/**
 * Environment that points every model provider the demos use at the simulator: Ollama at its root, DashScope
 * and OpenAI (with placeholder keys) at their OpenAI-compatible routes. Embeddings are real: new knowledge
 * bases bind to the in-process static GloVe model (when its package is installed), so the demo's search has
 * semantic vectors, not the simulator's hashing trick.
 */
export function simulatedProviderEnv(sim: ProviderSimulator): Record<string, string> {
  return {
    OLLAMA_URL: sim.ollamaUrl,
    DASHSCOPE_API_KEY: 'sk-simulated',
    DASHSCOPE_BASE_URL: sim.openaiBaseUrl('dashscope'),
    OPENAI_API_KEY: 'sk-simulated',
    OPENAI_BASE_URL: sim.openaiBaseUrl('openai'),
    EMBEDDING_DEFAULT_MODEL: 'static:wink-glove-100d',
  };
}
