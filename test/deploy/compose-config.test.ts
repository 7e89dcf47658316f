import { readFileSync } from 'node:fs';
import path from 'node:path';
import { envKeys } from '@aegis/config';
import { DEFAULT_ROUTING_CONFIG } from '@aegis/llm-router';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './promql.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  env_file?: string | (string | { path: string })[];
  container_name?: string;
  ports?: unknown[];
  volumes?: string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition: string; required?: boolean }> | string[];
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** The app services: the ones running this repository's image. */
const APP_SERVICES = ['migrate', 'api', 'worker', 'watcher'];

function loadCompose(text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')): ComposeFile {
  // Compose resolves YAML merge keys (`<<: *app`), so the test does too.
  return parse(text, { merge: true }) as ComposeFile;
}

function environmentKeys(service: ComposeService): string[] {
  const { environment } = service;
  if (environment === undefined) return [];
  if (Array.isArray(environment)) return environment.map((entry) => String(entry).split('=')[0] ?? '');
  return Object.keys(environment);
}

/** Variables the compose file sets for app services that the config schema does not know. */
function unknownComposeVariables(compose: ComposeFile, known: readonly string[]): string[] {
  const found: string[] = [];
  for (const name of APP_SERVICES) {
    const service = compose.services[name];
    if (service === undefined) {
      found.push(`${name}: service missing`);
      continue;
    }
    for (const key of environmentKeys(service))
      if (!known.includes(key)) found.push(`${name}: ${key} is not in the config schema`);
  }
  return found;
}

/** The USER of the Dockerfile's final stage, or undefined when it runs as root (no USER, root, or uid 0). */
function finalStageUser(dockerfile: string): string | undefined {
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  let user: string | undefined;
  for (const line of lines.slice(lastFrom + 1)) {
    const match = /^USER\s+(\S+)/i.exec(line);
    if (match) user = match[1];
  }
  if (user === undefined) return undefined;
  const [name = ''] = user.split(':');
  return name === 'root' || name === '0' ? undefined : user;
}

/** ENV keys the Dockerfile's final stage sets (`ENV A=1 B=2`, `ENV A 1`). */
function finalStageEnvKeys(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const lastFrom = lines.map((line) => /^\s*FROM\s/i.test(line)).lastIndexOf(true);
  return lines.slice(lastFrom + 1).flatMap((line) => {
    const match = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!match) return [];
    const body = match[1] ?? '';
    if (!body.includes('=')) return [body.split(/\s+/)[0] ?? ''];
    // Keys start the body or follow a space: "NODE_OPTIONS=--max-semi-space-size=16" is one key.
    return [...body.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] ?? '');
  });
}

const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const compose = loadCompose();
const known = envKeys();
/** Variables read by the runtime under the app, not by our config: allowed in the image, never in the schema. */
const RUNTIME_ENV = ['MALLOC_ARENA_MAX', 'NODE_OPTIONS'];

describe('docker-compose.yml', () => {
  it('sets only variables the config schema knows, for every app service', () => {
    expect(unknownComposeVariables(compose, known)).toEqual([]);
    for (const name of APP_SERVICES) {
      const service = compose.services[name] as ComposeService;
      expect(JSON.stringify(service.env_file), name).toContain('.env');
      expect(environmentKeys(service), name).toEqual(
        expect.arrayContaining([
          'DATABASE_URL',
          'REDIS_URL',
          'VECTOR_STORE',
          'GRAPH_STORE',
          'QDRANT_URL',
          'NEO4J_URI',
          'OLLAMA_URL',
          'BLOB_DIR',
        ]),
      );
    }
  });

  it('catches a variable the schema does not know (the check can fail)', () => {
    const broken = loadCompose(
      readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8').replace(
        'REDIS_URL: redis://redis:6379',
        'REDIS_URL: redis://redis:6379\n  REDIS_HOST: redis',
      ),
    );
    const problems = unknownComposeVariables(broken, known);
    expect(problems).toContain('worker: REDIS_HOST is not in the config schema');
    expect(problems).toHaveLength(APP_SERVICES.length);
    expect(unknownComposeVariables({ services: {} }, known)).toHaveLength(APP_SERVICES.length);
  });

  it('runs each app with its command, the worker scalable and the watcher on ./inbox', () => {
    const command = (name: string) => [compose.services[name]?.command ?? []].flat().join(' ');
    expect(command('migrate')).toBe('node apps/cli/src/main.ts migrate');
    expect(command('api')).toBe('node apps/api/src/main.ts');
    expect(command('worker')).toBe('node apps/worker/src/main.ts');
    expect(command('watcher')).toBe('node apps/watcher/src/main.ts');
    const worker = compose.services.worker as ComposeService;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(compose.services.watcher?.volumes).toContain('./inbox:/inbox');
    expect(compose.services.watcher?.environment).toMatchObject({ INBOX_DIR: '/inbox' });
    // Published on loopback unless the operator sets API_PUBLISH_ADDRESS.
    // A compose interpolation, not a JavaScript template: `$` and `{` are literal here.
    expect(compose.services.api?.ports).toEqual([`$\{API_PUBLISH_ADDRESS:-127.0.0.1}:8080:8080`]);
  });

  it('publishes nothing on every interface by default', () => {
    for (const [name, service] of Object.entries(compose.services))
      for (const port of service.ports ?? [])
        expect(String(port), name).toMatch(/^(127\.0\.0\.1|\$\{API_PUBLISH_ADDRESS:-127\.0\.0\.1\}):/);
  });

  it('pins every image to a version (no latest, no bare major)', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      const image = service.image ?? '';
      expect(image, name).not.toMatch(/:latest$/);
      // name:MAJOR.MINOR[.PATCH][-variant], or our own image with its version tag.
      expect(image, name).toMatch(
        /^[\w./-]+:(\d+\.\d+[\w.-]*|v\d+\.\d+[\w.-]*|\$\{AEGIS_IMAGE_TAG:-[\d.]+\})$/,
      );
    }
  });

  it('runs Ollama and its model pull only in the ollama profile, and apps do not require them', () => {
    for (const name of ['ollama', 'ollama-pull'])
      expect(compose.services[name]?.profiles, name).toEqual(['ollama']);
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.profiles?.includes('ollama')) continue;
      const dependsOn = (service.depends_on ?? {}) as Record<string, { required?: boolean }>;
      for (const dependency of ['ollama', 'ollama-pull'])
        if (dependency in dependsOn)
          expect(dependsOn[dependency]?.required, `${name} -> ${dependency}`).toBe(false);
    }
  });

  it('opens /metrics of workers and the watcher to the compose network only, through METRICS_HOST', () => {
    // The default is loopback (right outside containers); Prometheus scrapes from its own container.
    for (const name of ['worker', 'watcher'])
      expect(compose.services[name]?.environment, name).toMatchObject({ METRICS_HOST: '0.0.0.0' });
    for (const name of ['worker', 'watcher']) expect(compose.services[name]?.ports, name).toBeUndefined();
  });

  it('starts apps after healthy stores, the model pull and the migration', () => {
    for (const name of ['api', 'worker', 'watcher']) {
      const dependsOn = compose.services[name]?.depends_on as Record<string, { condition: string }>;
      expect(dependsOn, name).toMatchObject({
        redis: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        qdrant: { condition: 'service_healthy' },
        neo4j: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
        'ollama-pull': { condition: 'service_completed_successfully', required: false },
      });
    }
    // Every service another one waits on for health has a health check.
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        if (condition !== 'service_healthy') continue;
        expect(compose.services[dependency]?.healthcheck?.test, `${name} -> ${dependency}`).toBeDefined();
      }
    }
  });

  it('keeps Redis durable and never evicting', () => {
    const redis = [compose.services.redis?.command ?? []].flat().join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
  });

  it('pulls exactly the local models of the default routing config', () => {
    const wanted = new Set(
      Object.values(DEFAULT_ROUTING_CONFIG.tasks)
        .flat()
        .filter((entry) => entry.provider === 'ollama')
        .map((entry) => entry.model),
    );
    const pull = [compose.services['ollama-pull']?.command ?? []].flat().join(' ');
    const pulled = new Set([...pull.matchAll(/ollama pull (\S+)/g)].map((m) => m[1]));
    expect([...pulled].sort()).toEqual([...wanted].sort());
    expect([...wanted].sort()).toEqual(['bge-m3', 'llama3.1:8b', 'qwen2.5vl:7b']);
  });
});

describe('Dockerfile', () => {
  it('runs the image as a non-root user', () => {
    expect(finalStageUser(dockerfile)).toBe('node');
  });

  it('catches a root image (the check can fail)', () => {
    expect(finalStageUser(dockerfile.replace(/^USER .*$/m, ''))).toBeUndefined();
    expect(finalStageUser(dockerfile.replace(/^USER .*$/m, 'USER root'))).toBeUndefined();
    expect(finalStageUser(dockerfile.replace(/^USER .*$/m, 'USER 0:0'))).toBeUndefined();
    // A USER in an earlier build stage does not make the final image non-root.
    expect(finalStageUser('FROM a AS build\nUSER node\nFROM b\nCMD ["x"]\n')).toBeUndefined();
  });

  it('sets only known variables and uses Node 24', () => {
    const keys = finalStageEnvKeys(dockerfile);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !known.includes(key) && !RUNTIME_ENV.includes(key))).toEqual([]);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-\w.]*$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });
});
