import { Writable } from 'node:stream';
import { AegisError } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import type { CreateLoggerOptions } from './logger.ts';
import { createLogger } from './logger.ts';

/** A logger writing synchronously into an array of parsed lines (pino calls `write` per line). */
function capture(options: Omit<CreateLoggerOptions, 'destination'> = {}) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ ...options, destination });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, text, lines };
}

describe('createLogger redaction', () => {
  it('redacts a logged config object, including nested provider keys', () => {
    const { logger, text, lines } = capture({ secretKeys: ['OPENAI_API_KEY', 'API_KEY_PEPPER'] });
    const config = {
      database: { url: 'postgres://aegis:pg-Secret-111@db:5432/aegis' },
      redis: { url: 'redis://:redis-Secret-222@cache:6379' },
      llm: {
        providers: {
          openai: {
            enabled: true,
            apiKey: 'sk-proj-ABCDEFGHIJKLMNOPQRST',
            baseUrl: 'https://api.openai.com/v1',
          },
          dashscope: { enabled: true, apiKey: 'ds-Secret-333' },
        },
      },
      graphStore: { neo4j: { user: 'neo4j', password: 'neo4j-Secret-444' } },
      api: { apiKeyPepper: 'pepper-Secret-555', sessionSecret: 'session-Secret-666', port: 8080 },
      metrics: { token: 'metrics-Secret-777' },
    };
    logger.info({ config }, 'config loaded');
    logger.info({ OPENAI_API_KEY: 'env-Secret-888', API_KEY_PEPPER: 'env-Secret-999' }, 'raw env');
    const out = text();
    for (const secret of [
      'pg-Secret-111',
      'redis-Secret-222',
      'sk-proj-ABCDEFGHIJKLMNOPQRST',
      'ds-Secret-333',
      'neo4j-Secret-444',
      'pepper-Secret-555',
      'session-Secret-666',
      'metrics-Secret-777',
      'env-Secret-888',
      'env-Secret-999',
    ]) {
      expect(out).not.toContain(secret);
    }
    const [first] = lines();
    expect(first).toMatchObject({
      msg: 'config loaded',
      config: {
        database: { url: 'postgres://aegis:***@db:5432/aegis' },
        redis: { url: 'redis://:***@cache:6379' },
        llm: {
          providers: {
            openai: { apiKey: '[redacted]', baseUrl: 'https://api.openai.com/v1', enabled: true },
          },
        },
        api: { port: 8080 },
      },
    });
  });

  it('redacts Authorization and Cookie headers', () => {
    const { logger, text } = capture();
    logger.info(
      {
        req: {
          method: 'GET',
          headers: { Authorization: 'Bearer tok-Secret-aaa', cookie: 'sid=cookie-Secret-bbb' },
        },
      },
      'request',
    );
    logger.info({ headers: { authorization: 'Basic YmFzaWMtU2VjcmV0LWNjYw==' } });
    const out = text();
    expect(out).not.toContain('tok-Secret-aaa');
    expect(out).not.toContain('cookie-Secret-bbb');
    expect(out).not.toContain('YmFzaWMtU2VjcmV0LWNjYw');
    expect(out).toContain('"method":"GET"');
  });

  it('masks database URLs with passwords in fields and messages', () => {
    const { logger, text, lines } = capture();
    logger.info(
      { databaseUrl: 'postgresql://svc:url-Secret-ddd@10.0.0.5/aegis?sslmode=require' },
      'connecting',
    );
    logger.warn('retrying %s', 'redis://default:url-Secret-eee@cache:6379/0');
    logger.info('dsn postgres://svc:url-Secret-fff@db/aegis');
    const out = text();
    for (const secret of ['url-Secret-ddd', 'url-Secret-eee', 'url-Secret-fff'])
      expect(out).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ databaseUrl: 'postgresql://svc:***@10.0.0.5/aegis?sslmode=require' });
    expect(lines()[1]).toMatchObject({ msg: 'retrying redis://default:***@cache:6379/0' });
  });

  it('masks credentials inside error messages, stacks and causes', () => {
    const { logger, text, lines } = capture();
    const cause = new Error('connect ECONNREFUSED postgres://app:cause-Secret-ggg@db:5432/aegis');
    const error = new AegisError(
      'DATABASE_UNAVAILABLE',
      'cannot reach postgres://app:err-Secret-hhh@db:5432/aegis',
      {
        cause,
        details: { url: 'postgres://app:details-Secret-iii@db/aegis' },
      },
    );
    logger.error(error);
    logger.error({ err: error }, 'startup failed');
    logger.error(new Error('Authorization: Bearer bearer-Secret-jjj rejected'), 'call failed');
    const out = text();
    for (const secret of ['cause-Secret-ggg', 'err-Secret-hhh', 'details-Secret-iii', 'bearer-Secret-jjj']) {
      expect(out).not.toContain(secret);
    }
    const [first, second] = lines();
    expect(first).toMatchObject({
      msg: 'cannot reach postgres://app:***@db:5432/aegis',
      err: { type: 'AegisError', code: 'DATABASE_UNAVAILABLE' },
    });
    expect(JSON.stringify(first?.err ?? {})).toContain('"stack":"AegisError: cannot reach');
    expect(second).toMatchObject({ msg: 'startup failed', err: { code: 'DATABASE_UNAVAILABLE' } });
  });

  it('redacts secrets in child bindings and masks known secret values anywhere', () => {
    const { logger, text } = capture({ secretValues: ['value-Secret-kkk'] });
    const child = logger.child({ provider: { name: 'groq', apiKey: 'gsk_child0Secret0lll0000' } });
    child.info({ note: 'the key value-Secret-kkk leaked into text' }, 'hello');
    // Deeper than any fixed redact path, on a grandchild: only the deep sanitizer catches this.
    child
      .child({ job: { stage: { provider: { credentials: { password: 'deep-Secret-mmm' } } } } })
      .info({ a: { b: { c: { d: { token: 'deep-Secret-nnn' } } } } }, 'grandchild');
    const out = text();
    expect(out).not.toContain('deep-Secret-mmm');
    expect(out).not.toContain('deep-Secret-nnn');
    expect(out).not.toContain('gsk_child0Secret0lll0000');
    expect(out).not.toContain('value-Secret-kkk');
    expect(out).toContain('"name":"groq"');
  });

  it('keeps ordinary fields and honours the level', () => {
    const { logger, lines } = capture({ level: 'warn', name: 'worker' });
    logger.info('dropped');
    logger.warn({ documentId: 'abc', inputTokens: 12, maxTokens: 100 }, 'kept');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ name: 'worker', documentId: 'abc', inputTokens: 12, maxTokens: 100 });
  });

  it('handles circular objects without throwing', () => {
    const { logger, lines } = capture();
    const a: Record<string, unknown> = { id: 1 };
    a.self = a;
    logger.info({ a }, 'cycle');
    expect(lines()[0]).toMatchObject({ a: { id: 1, self: '[Circular]' } });
  });
});
