import { randomBytes } from 'node:crypto';
import { createSecretMasker } from '@aegis/observability';
import type { DocumentRepository } from '@aegis/pipeline';
import { describe, expect, it } from 'vitest';
import { withMaskedErrorWrites } from './masked-error-writes.ts';

describe('withMaskedErrorWrites', () => {
  it('masks and bounds every error text argument of every method, and passes everything else through', async () => {
    // A format no pattern knows, made at run time (a literal here would be a published secret).
    const secret = `Qz7-${randomBytes(10).toString('hex')}`;
    const calls: Array<[string, unknown[]]> = [];
    const recorder = new Proxy(
      {},
      {
        get:
          (_target, name: string) =>
          async (...args: unknown[]) => {
            calls.push([name, args]);
          },
        ownKeys: () => ['setStage', 'setVersionStatus', 'addWarnings', 'updateImage', 'register'],
        getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
      },
    ) as unknown as DocumentRepository;
    const repository = withMaskedErrorWrites(
      recorder,
      createSecretMasker({ secretValues: [secret], maxChars: 200 }),
    );
    const long = `provider said ${secret} ${'x'.repeat(1_000)}`;
    await repository.setStage('d', 1, 'embed', 'failed', {
      errorCode: 'PROVIDER_REJECTED',
      errorMessage: long,
    });
    await repository.setVersionStatus('d', 1, 'failed', { errorMessage: `Bearer abc.def ${secret}` });
    await repository.addWarnings('d', 1, [`image 3: ${secret}`]);
    await repository.updateImage('i', { status: 'failed', errorMessage: secret, skipReason: `k=${secret}` });
    await repository.register({
      sourceKey: `/inbox/${secret}.txt`,
      displayName: 'a.txt',
      sha256: 'ab',
      byteSize: 1,
      kind: 'text',
      mimeType: 'text/plain',
      blobPath: 'sha256/ab/ab',
    });
    const text = JSON.stringify(calls.slice(0, 4));
    expect(text).not.toContain(secret);
    expect(text).toContain('PROVIDER_REJECTED');
    expect(text).toContain('Bearer ***');
    const stageDetail = calls[0]?.[1][4] as { errorMessage?: string } | undefined;
    expect(stageDetail?.errorMessage?.length).toBeLessThanOrEqual(200);
    // Not an error text: a source path is stored as given.
    expect(JSON.stringify(calls[4])).toContain(secret);
  });
});
