import { randomBytes } from 'node:crypto';
import { arbitrarySecret, SECRET_CONTEXTS } from '@aegis/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSecretMasker, MIN_SECRET_LENGTH } from './secret-masker.ts';

describe('createSecretMasker', () => {
  it('never lets a configured secret through, whatever its shape and wherever it sits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(arbitrarySecret, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: SECRET_CONTEXTS.length - 1 }),
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (secrets, context, before, after) => {
          const masker = createSecretMasker({ secretValues: secrets });
          const wrap = SECRET_CONTEXTS[context] ?? String;
          const text = `${before}${secrets.map((secret) => wrap(secret)).join(' | ')}${after}`;
          const masked = masker.excerpt(text, 100_000);
          for (const secret of secrets) {
            expect(masked).not.toContain(secret);
            expect(masked).not.toContain(encodeURIComponent(secret));
            expect(masked).not.toContain(JSON.stringify(secret).slice(1, -1));
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('masks the beginning of a secret that an upstream cut left at the end of a text', () => {
    fc.assert(
      fc.property(
        arbitrarySecret,
        fc.integer({ min: MIN_SECRET_LENGTH, max: 79 }),
        fc.boolean(),
        (s, keep, dots) => {
          const cut = s.slice(0, Math.min(keep, s.length - 1));
          fc.pre(cut.length >= MIN_SECRET_LENGTH);
          const masked = createSecretMasker({ secretValues: [s] }).mask(
            `provider said: ${cut}${dots ? '…' : ''}`,
          );
          expect(masked).not.toContain(cut);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('masks before it cuts, so a bounded excerpt never ends in half a secret', () => {
    const secret = randomBytes(24).toString('base64url');
    const masker = createSecretMasker({ secretValues: [secret], maxChars: 40 });
    const excerpt = masker.excerpt(`${'x'.repeat(25)} ${secret} and more text after it`);
    expect(excerpt.length).toBeLessThanOrEqual(40);
    expect(excerpt).not.toContain(secret.slice(0, 8));
    expect(excerpt.endsWith('…')).toBe(true);
  });

  it('masks credential patterns without any configured value, and leaves ordinary text alone', () => {
    const masker = createSecretMasker();
    expect(masker.mask('redis://:hunter2hunter2@redis:6379 failed')).toBe('redis://:***@redis:6379 failed');
    expect(masker.mask('key aegis_ab12cd34_0123456789abcdef0123456789abcdef0123456789abcdef')).toBe(
      'key aegis_ab12cd34_***',
    );
    expect(masker.mask('page 3 of 10: the table could not be read')).toBe(
      'page 3 of 10: the table could not be read',
    );
    expect(masker.maskDeep({ a: ['Bearer abc.def.ghi'], n: 3 })).toEqual({ a: ['Bearer ***'], n: 3 });
  });
});
