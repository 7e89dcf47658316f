import type {
  CloudProviderName,
  Environment,
  FlatConfig,
  GraphStoreKind,
  LlmRoutingMode,
  LogLevel,
  VectorStoreKind,
} from './config-schema.ts';
import { CLOUD_PROVIDERS, type OutputCapField } from './config-schema.ts';

/** One OpenAI-compatible cloud provider's settings. */
export interface CloudProviderConfig {
  /** False when no API key is set: the router must skip the provider. */
  enabled: boolean;
  /** Secret. `undefined` when the provider is disabled. */
  apiKey: string | undefined;
  /** OpenAI-compatible base URL, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Body field of a chat call's output cap: `max_completion_tokens` (OpenAI) or `max_tokens`. */
  outputCapField: OutputCapField;
  /**
   * Calendar-month cap in USD as an exact decimal string (e.g. `"20"`, `"12.5"`); `null` = unlimited;
   * `undefined` = not configured here (the stored cap stays). Applied only by `aegis migrate`, audited.
   */
  monthlyBudgetUsd: string | null | undefined;
}

/** The typed, nested configuration every app receives. Built only by `loadConfig`. */
export interface AppConfig {
  environment: Environment;
  /** Shorthand for `environment === 'production'`. */
  isProduction: boolean;
  logLevel: LogLevel;
  serviceName: string;
  database: {
    url: string;
    /** Maximum connections per process. Default 10. */
    poolMax: number;
  };
  redis: {
    url: string;
    /** BullMQ key prefix containing a `{hash tag}`. Default `{aegis}`. */
    queuePrefix: string;
  };
  vectorStore: {
    kind: VectorStoreKind;
    qdrant: { url: string | undefined; apiKey: string | undefined; collection: string };
  };
  /** Completion-event webhooks (ADR 018). */
  webhooks: {
    allowPrivateUrls: boolean;
    maxAttempts: number;
    backoffMs: number;
    timeoutMs: number;
    dispatchIntervalMs: number;
    /** Completion events older than this are pruned once nothing of theirs is pending (EVENTS_RETENTION_DAYS). */
    eventRetentionDays: number;
  };
  search: {
    /** Postgres text search configuration for keyword search. Default `english`. */
    textConfig: string;
    /** Weights of the keyword and vector rankings in hybrid search. Default 1 and 1. */
    keywordWeight: number;
    vectorWeight: number;
    /** Reciprocal rank fusion k. Default 60. */
    rrfK: number;
  };
  graphStore: {
    kind: GraphStoreKind;
    neo4j: { uri: string | undefined; user: string; password: string | undefined; database: string };
  };
  llm: {
    routingMode: LlmRoutingMode;
    routingFile: string | undefined;
    pricesFile: string | undefined;
    /** Prompts above this many tokens skip local models. Default 3000. */
    localMaxPromptTokens: number;
    /** Per provider request, in ms. Default 120000. */
    requestTimeoutMs: number;
    /** Default output cap and the worst case reserved against budgets. Default 4096. */
    maxOutputTokens: number;
    /** Texts per embedding request. Default 64. */
    embedBatchSize: number;
    ollama: {
      url: string;
      /** Reuse of a health check result, in ms. Default 10000. */
      healthTtlMs: number;
    };
    /** The in-process static embedding provider: model name -> local path, and the conversion cache folder. */
    staticEmbedding: { models: Record<string, string>; cacheDir: string | undefined };
    /** `provider:model` moved to the front of the embedding chain, or undefined. */
    embeddingDefaultModel: string | undefined;
    providers: Record<CloudProviderName, CloudProviderConfig>;
    budget: {
      /** Fraction of a budget at which to warn, in (0, 1]. Default 0.8. */
      warnRatio: number;
      /** Unsettled reservations expire after this many ms. Default 600000. */
      reservationTtlMs: number;
    };
    breaker: {
      failureThreshold: number;
      /** ms, default 1000. */
      baseCooldownMs: number;
      /** ms, default 60000. */
      maxCooldownMs: number;
      /** ms, default 30000. */
      probeLeaseMs: number;
    };
  };
  api: {
    host: string;
    port: number;
    /** Bytes; default 104857600 (100 MiB). */
    uploadMaxBytes: number;
    /** CORS origins; empty = none configured; `*` only outside production. */
    allowedOrigins: string[];
    /** Secret: HMAC pepper for API-key hashes. Required in production. */
    apiKeyPepper: string | undefined;
    /** Secret: signs admin UI sessions. Required in production. */
    sessionSecret: string | undefined;
    /** Real paths of folders that path ingestion may read from; empty = path ingestion off. */
    ingestPathRoots: string[];
    rateLimit: { max: number; windowMs: number };
    /** Failed authentications per client IP and window (ms) before 429, checked before any key lookup. */
    authFailures: { max: number; windowMs: number };
    /** Fastify `trustProxy`: false, true, a hop count, or proxy addresses/CIDRs. Default false. */
    trustProxy: boolean | number | string;
    /** All in ms: headers 10000, whole request 300000, body idle 30000, keep-alive 72000 by default. */
    timeouts: { headersMs: number; requestMs: number; bodyIdleMs: number; keepAliveMs: number };
  };
  /** The `aegis` CLI's remote mode (AEGIS_URL, AEGIS_API_KEY); both unset means local mode. */
  cli: { url: string | undefined; apiKey: string | undefined };
  watcher: {
    inboxDir: string;
    /** A file is fully written once its size is stable this long, in ms. */
    stableMs: number;
  };
  pipeline: {
    /** Blob directory for document bytes and extracted images. */
    blobDir: string;
    migrateOnStart: boolean;
    stages: string[];
    memoryLimitBytes: number;
    /** A killed worker's job is taken over within this, in ms. */
    lockDurationMs: number;
    reconcileIntervalMs: number;
    /** Crash-abandonments of one stage run put back into work before WORKER_CRASHED. Default 3. */
    maxCrashes: number;
    /** Longest pause between tries of a job during an infrastructure outage, in ms. Default 30000. */
    outageRetryMaxDelayMs: number;
    /** Longest wait for a model provider before NO_PROVIDER_AVAILABLE fails the document, in ms. Default 1800000. */
    providerOutageMaxWaitMs: number;
    modelConcurrency: number;
    chunk: { targetTokens: number; overlapTokens: number; maxTokens: number };
    extract: { maxImagePixels: number; pageTimeoutMs: number; pagesPerRange: number };
    /** OCR of PDF pages without usable text: engine, Tesseract languages (and their folder), per-page limit (ms), DPI. */
    ocr: {
      engine: 'tesseract' | 'vision' | 'off';
      languages: string[];
      languageDir: string | undefined;
      pageTimeoutMs: number;
      dpi: number;
      /** The native Tesseract command; empty: always the bundled tesseract.js. */
      command: string;
      taskBudgetMs: number;
    };
    /** The parsing sandbox: processes per worker and the limits of each (MiB, ms). */
    sandbox: {
      processes: number;
      memoryLimitMb: number;
      heapLimitMb: number;
      recycleRssMb: number;
      maxTasksPerProcess: number;
      idleTimeoutMs: number;
      warmProcesses: number;
      taskTimeoutMs: number;
    };
  };
  metrics: {
    /** Workers' and the watcher's /metrics port. Default 9464. */
    port: number;
    /** Interface of that server. Default 127.0.0.1 (containers set 0.0.0.0). */
    host: string;
    /** Secret: bearer token for /metrics. Required in production. */
    token: string | undefined;
  };
}

const ENV_PREFIX: Record<CloudProviderName, string> = {
  openai: 'OPENAI',
  dashscope: 'DASHSCOPE',
  groq: 'GROQ',
  openrouter: 'OPENROUTER',
};

function providerConfig(flat: FlatConfig, name: CloudProviderName): CloudProviderConfig {
  // Index by computed key: FlatConfig has the exact template-literal keys, so these lookups stay typed.
  const prefix = ENV_PREFIX[name] as Uppercase<CloudProviderName>;
  const apiKey = flat[`${prefix}_API_KEY`];
  return {
    enabled: apiKey !== undefined,
    apiKey,
    baseUrl: flat[`${prefix}_BASE_URL`],
    outputCapField: flat[`${prefix}_OUTPUT_CAP_FIELD`],
    monthlyBudgetUsd: flat[`BUDGET_${prefix}_MONTHLY_USD`],
  };
}

/** Reshapes the flat parsed env into `AppConfig`. Pure; no validation beyond what the schema did. */
export function toAppConfig(flat: FlatConfig): AppConfig {
  const providers = Object.fromEntries(
    CLOUD_PROVIDERS.map((name) => [name, providerConfig(flat, name)]),
  ) as Record<CloudProviderName, CloudProviderConfig>;
  return {
    environment: flat.ENVIRONMENT,
    isProduction: flat.ENVIRONMENT === 'production',
    logLevel: flat.LOG_LEVEL,
    serviceName: flat.SERVICE_NAME,
    database: { url: flat.DATABASE_URL, poolMax: flat.DATABASE_POOL_MAX },
    redis: { url: flat.REDIS_URL, queuePrefix: flat.QUEUE_PREFIX },
    vectorStore: {
      kind: flat.VECTOR_STORE,
      qdrant: { url: flat.QDRANT_URL, apiKey: flat.QDRANT_API_KEY, collection: flat.QDRANT_COLLECTION },
    },
    webhooks: {
      allowPrivateUrls: flat.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
      maxAttempts: flat.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: flat.WEBHOOK_BACKOFF_MS,
      timeoutMs: flat.WEBHOOK_TIMEOUT_MS,
      dispatchIntervalMs: flat.WEBHOOK_DISPATCH_INTERVAL_MS,
      eventRetentionDays: flat.EVENTS_RETENTION_DAYS,
    },
    search: {
      textConfig: flat.SEARCH_TEXT_CONFIG,
      keywordWeight: flat.SEARCH_KEYWORD_WEIGHT,
      vectorWeight: flat.SEARCH_VECTOR_WEIGHT,
      rrfK: flat.SEARCH_RRF_K,
    },
    graphStore: {
      kind: flat.GRAPH_STORE,
      neo4j: {
        uri: flat.NEO4J_URI,
        user: flat.NEO4J_USER,
        password: flat.NEO4J_PASSWORD,
        database: flat.NEO4J_DATABASE,
      },
    },
    llm: {
      routingMode: flat.LLM_ROUTING_MODE,
      routingFile: flat.LLM_ROUTING_FILE,
      pricesFile: flat.LLM_PRICES_FILE,
      localMaxPromptTokens: flat.LLM_LOCAL_MAX_PROMPT_TOKENS,
      requestTimeoutMs: flat.LLM_REQUEST_TIMEOUT_MS,
      maxOutputTokens: flat.LLM_MAX_OUTPUT_TOKENS,
      embedBatchSize: flat.LLM_EMBED_BATCH_SIZE,
      ollama: { url: flat.OLLAMA_URL, healthTtlMs: flat.OLLAMA_HEALTH_TTL_MS },
      staticEmbedding: {
        models: Object.fromEntries(
          (flat.STATIC_EMBEDDING_MODELS ?? '')
            .split(',')
            .filter((pair) => pair.includes('='))
            .map((pair) => [
              pair.slice(0, pair.indexOf('=')).trim(),
              pair.slice(pair.indexOf('=') + 1).trim(),
            ]),
        ),
        cacheDir: flat.STATIC_EMBEDDING_CACHE_DIR,
      },
      embeddingDefaultModel: flat.EMBEDDING_DEFAULT_MODEL,
      providers,
      budget: { warnRatio: flat.BUDGET_WARN_RATIO, reservationTtlMs: flat.BUDGET_RESERVATION_TTL_MS },
      breaker: {
        failureThreshold: flat.BREAKER_FAILURE_THRESHOLD,
        baseCooldownMs: flat.BREAKER_BASE_COOLDOWN_MS,
        maxCooldownMs: flat.BREAKER_MAX_COOLDOWN_MS,
        probeLeaseMs: flat.BREAKER_PROBE_LEASE_MS,
      },
    },
    api: {
      host: flat.API_HOST,
      port: flat.API_PORT,
      uploadMaxBytes: flat.UPLOAD_MAX_BYTES,
      allowedOrigins: flat.ALLOWED_ORIGINS ?? [],
      apiKeyPepper: flat.API_KEY_PEPPER,
      sessionSecret: flat.SESSION_SECRET,
      ingestPathRoots: flat.INGEST_PATH_ROOTS
        ? flat.INGEST_PATH_ROOTS.split(',')
            .map((root) => root.trim())
            .filter(Boolean)
        : [],
      rateLimit: { max: flat.RATE_LIMIT_MAX, windowMs: flat.RATE_LIMIT_WINDOW_MS },
      authFailures: { max: flat.AUTH_FAILURE_MAX, windowMs: flat.AUTH_FAILURE_WINDOW_MS },
      trustProxy: trustProxySetting(flat.API_TRUST_PROXY),
      timeouts: {
        headersMs: flat.API_HEADERS_TIMEOUT_MS,
        requestMs: flat.API_REQUEST_TIMEOUT_MS,
        bodyIdleMs: flat.API_BODY_IDLE_TIMEOUT_MS,
        keepAliveMs: flat.API_KEEP_ALIVE_TIMEOUT_MS,
      },
    },
    cli: { url: flat.AEGIS_URL, apiKey: flat.AEGIS_API_KEY },
    watcher: { inboxDir: flat.INBOX_DIR, stableMs: flat.WATCH_STABLE_MS },
    pipeline: {
      blobDir: flat.BLOB_DIR,
      migrateOnStart: flat.MIGRATE_ON_START === 'true',
      stages: flat.WORKER_STAGES.split(','),
      memoryLimitBytes: flat.WORKER_MEMORY_LIMIT_MB * 1024 * 1024,
      lockDurationMs: flat.WORKER_LOCK_DURATION_MS,
      reconcileIntervalMs: flat.RECONCILE_INTERVAL_MS,
      maxCrashes: flat.WORKER_MAX_CRASHES,
      outageRetryMaxDelayMs: flat.OUTAGE_RETRY_MAX_DELAY_MS,
      providerOutageMaxWaitMs: flat.PROVIDER_OUTAGE_MAX_WAIT_MS,
      modelConcurrency: flat.MODEL_CONCURRENCY,
      chunk: {
        targetTokens: flat.CHUNK_TARGET_TOKENS,
        overlapTokens: flat.CHUNK_OVERLAP_TOKENS,
        maxTokens: flat.CHUNK_MAX_TOKENS,
      },
      extract: {
        maxImagePixels: flat.EXTRACT_MAX_IMAGE_PIXELS,
        pageTimeoutMs: flat.EXTRACT_PAGE_TIMEOUT_MS,
        pagesPerRange: flat.EXTRACT_PAGES_PER_RANGE,
      },
      ocr: {
        engine: flat.OCR_ENGINE,
        languages: flat.OCR_LANGUAGES.split(','),
        languageDir: flat.OCR_LANGUAGE_DIR,
        pageTimeoutMs: flat.OCR_PAGE_TIMEOUT_MS,
        dpi: flat.OCR_DPI,
        command: flat.OCR_TESSERACT_COMMAND === 'none' ? '' : flat.OCR_TESSERACT_COMMAND,
        // Half the task limit: OCR never pushes a page range over it.
        taskBudgetMs: Math.floor(flat.SANDBOX_TASK_TIMEOUT_MS / 2),
      },
      sandbox: {
        processes: flat.SANDBOX_PROCESSES,
        memoryLimitMb: flat.SANDBOX_MEMORY_LIMIT_MB,
        heapLimitMb: flat.SANDBOX_HEAP_LIMIT_MB,
        recycleRssMb: flat.SANDBOX_RECYCLE_RSS_MB,
        maxTasksPerProcess: flat.SANDBOX_MAX_TASKS,
        idleTimeoutMs: flat.SANDBOX_IDLE_MS,
        warmProcesses: flat.SANDBOX_WARM_PROCESSES,
        taskTimeoutMs: flat.SANDBOX_TASK_TIMEOUT_MS,
      },
    },
    metrics: { port: flat.METRICS_PORT, host: flat.METRICS_HOST, token: flat.METRICS_TOKEN },
  };
}

/** API_TRUST_PROXY as Fastify's `trustProxy` takes it. */
function trustProxySetting(raw: string): boolean | number | string {
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .join(',');
}
