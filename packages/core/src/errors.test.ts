import { describe, expect, it } from 'vitest';
import { abortableSleep } from './abort.ts';
import { AegisError, ERROR_CODES, isAegisError } from './errors.ts';

describe('AegisError', () => {
  it('takes category and retryability from its code unless overridden', () => {
    const error = new AegisError('BUDGET_UNAVAILABLE', 'postgres is down', {
      details: { provider: 'openai' },
    });
    expect(error.category).toBe('system');
    expect(error.retryable).toBe(true);
    expect(new AegisError('PROVIDER_REJECTED', 'x', { category: 'user' }).category).toBe('user');
    expect(isAegisError(error, 'BUDGET_UNAVAILABLE')).toBe(true);
    expect(isAegisError(error, 'BUDGET_EXHAUSTED')).toBe(false);
  });

  it('serialises without its cause chain', () => {
    const error = new AegisError('INTERNAL', 'boom', { cause: new Error('secret connection string') });
    expect(JSON.stringify(error)).not.toContain('secret');
    expect(error.toJSON()).toEqual({ code: 'INTERNAL', category: 'system', message: 'boom', details: {} });
  });

  it('declares a category for every code', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(['user', 'system', 'provider'], code).toContain(spec.category);
    }
  });
});

describe('abortableSleep', () => {
  it('rejects with CANCELLED when aborted mid-sleep', async () => {
    const controller = new AbortController();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
