import { parseArgs } from 'node:util';
import { startProviderSimulator } from '../simulator/index.ts';

const DEFAULT_PORT = 11500;

const { values } = parseArgs({ options: { port: { type: 'string', short: 'p' } }, strict: true });
const port = Number(values.port ?? DEFAULT_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`sim: --port must be an integer between 0 and 65535, got ${values.port}`);
  process.exit(2);
}

const sim = await startProviderSimulator({ port });
console.log(`provider simulator listening on ${sim.url}`);
console.log(`  ollama:             ${sim.ollamaUrl}`);
console.log(`  openai:             ${sim.openaiBaseUrl('openai')}`);
console.log(`  dashscope:          ${sim.openaiBaseUrl('dashscope')}`);
console.log(`  any provider:       ${sim.url}/{provider}/v1`);
console.log(`  admin:              ${sim.url}/__sim/{faults,stats,requests,reset}`);

const stop = (signal: string): void => {
  console.log(`sim: ${signal}, shutting down`);
  sim.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
