// Prints .env.example from the config schema: `node packages/config/src/bin/render-env-example.ts > .env.example`.
import { renderEnvExample } from '../render-env-example.ts';

process.stdout.write(renderEnvExample());
