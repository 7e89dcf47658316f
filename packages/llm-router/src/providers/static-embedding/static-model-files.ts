import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AegisError } from '@aegis/core';
import {
  createModel2VecModel,
  createWordVectorModel,
  type StaticModel,
  type WordVectorData,
} from './static-model.ts';

const CACHE_MAGIC = 'AEGISVEC1\n';
/**
 * Rows kept from a word-vector file (they come in frequency order). 200k covers ordinary text; rarer words
 * (typos, one-off names) fall back to their own hashed direction, and the matrix stays ~80 MB at 100 dimensions.
 */
export const DEFAULT_MAX_WORDS = 200_000;

/**
 * Loads a static embedding model from a local path:
 * - a directory with `model.safetensors` (a 2-D `embeddings` tensor, F32 or F16) and `tokenizer.json`: model2vec;
 * - a `.json` file in wink's embeddings format (`{ dimensions, words, vectors: { word: [...] } }`);
 * - any other file: word vectors as text, `word v1 ... vD` per line (GloVe, word2vec text, fastText `.vec`; a
 *   `count dims` first line is skipped).
 * Word-vector files are converted once into a binary cache in `cacheDir` (keyed by path, size and mtime), so a
 * process start reads a float32 matrix instead of parsing text or JSON again.
 *
 * @throws AegisError `CONFIG_INVALID` when the path is missing or not a model.
 */
export async function loadStaticModel(
  modelPath: string,
  cacheDir: string,
  options: { maxWords?: number | undefined } = {},
): Promise<StaticModel> {
  const maxWords = options.maxWords ?? DEFAULT_MAX_WORDS;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(modelPath);
  } catch (error) {
    throw new AegisError('CONFIG_INVALID', `static embedding model not found at ${modelPath}`, {
      cause: error,
    });
  }
  if (info.isDirectory()) return loadModel2Vec(modelPath);
  const key = createHash('sha256')
    .update(`${path.resolve(modelPath)}\0${info.size}\0${info.mtimeMs}\0${maxWords}`)
    .digest('hex')
    .slice(0, 32);
  const cached = path.join(cacheDir, `${key}.aegisvec`);
  const fromCache = await readCache(cached);
  if (fromCache) return createWordVectorModel(fromCache);
  const data = modelPath.endsWith('.json')
    ? await parseWinkJson(modelPath, maxWords)
    : await parseTextVectors(modelPath, maxWords);
  await writeCache(cacheDir, cached, data);
  return createWordVectorModel(data);
}

async function readCache(file: string): Promise<WordVectorData | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  if (bytes.subarray(0, CACHE_MAGIC.length).toString('latin1') !== CACHE_MAGIC) return undefined;
  const headerLength = bytes.readUInt32LE(CACHE_MAGIC.length);
  const headerStart = CACHE_MAGIC.length + 4;
  const header = JSON.parse(bytes.subarray(headerStart, headerStart + headerLength).toString('utf8')) as {
    dimensions: number;
    words: string[];
  };
  const matrixStart = align4(headerStart + headerLength);
  const floats = header.words.length * header.dimensions;
  // A view when the offset is 4-byte aligned (a large file's buffer starts at 0), else an aligned copy.
  const start = bytes.byteOffset + matrixStart;
  let matrix: Float32Array;
  if (start % 4 === 0) matrix = new Float32Array(bytes.buffer, start, floats);
  else {
    matrix = new Float32Array(floats);
    new Uint8Array(matrix.buffer).set(bytes.subarray(matrixStart, matrixStart + floats * 4));
  }
  return { words: header.words, dimensions: header.dimensions, matrix };
}

async function writeCache(cacheDir: string, file: string, data: WordVectorData): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const header = Buffer.from(JSON.stringify({ dimensions: data.dimensions, words: data.words }), 'utf8');
  const headerStart = CACHE_MAGIC.length + 4;
  const matrixStart = align4(headerStart + header.length);
  const out = Buffer.alloc(matrixStart + data.matrix.byteLength);
  out.write(CACHE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, CACHE_MAGIC.length);
  header.copy(out, headerStart);
  Buffer.from(data.matrix.buffer, data.matrix.byteOffset, data.matrix.byteLength).copy(out, matrixStart);
  // Written aside and renamed: a concurrent reader sees the whole cache or none.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, out);
  await rename(temporary, file);
}

function align4(offset: number): number {
  return (offset + 3) & ~3;
}

/** wink-embeddings: `{ dimensions, words: [...], vectors: { word: [v1..vD, l2norm, index] } }`, words by frequency. */
async function parseWinkJson(file: string, maxWords: number): Promise<WordVectorData> {
  let parsed: { dimensions?: unknown; words?: unknown; vectors?: Record<string, unknown> };
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AegisError('CONFIG_INVALID', `${file} is not valid JSON`, { cause: error });
  }
  const dimensions = Number(parsed.dimensions);
  if (!Number.isInteger(dimensions) || dimensions <= 0 || !Array.isArray(parsed.words) || !parsed.vectors)
    throw new AegisError(
      'CONFIG_INVALID',
      `${file} is not a word-vector JSON file (dimensions, words, vectors)`,
    );
  const words: string[] = [];
  const rows: number[][] = [];
  for (const word of parsed.words as unknown[]) {
    if (words.length === maxWords) break;
    const vector = parsed.vectors[String(word)];
    if (!Array.isArray(vector) || vector.length < dimensions) continue;
    words.push(String(word));
    rows.push(vector.slice(0, dimensions) as number[]);
  }
  return { words, dimensions, matrix: toMatrix(rows, dimensions) };
}

async function parseTextVectors(file: string, maxWords: number): Promise<WordVectorData> {
  const words: string[] = [];
  const rows: number[][] = [];
  let dimensions = 0;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let first = true;
  for await (const line of lines) {
    const parts = line.trimEnd().split(' ');
    if (first) {
      first = false;
      // word2vec / fastText text files start with "count dims".
      if (parts.length === 2 && /^\d+$/.test(parts[0] ?? '') && /^\d+$/.test(parts[1] ?? '')) continue;
    }
    if (parts.length < 2) continue;
    const values = parts.slice(1).map(Number);
    if (values.some((value) => !Number.isFinite(value))) continue;
    if (dimensions === 0) dimensions = values.length;
    if (values.length !== dimensions) continue;
    words.push(parts[0] as string);
    rows.push(values);
    if (words.length === maxWords) break;
  }
  if (dimensions === 0) throw new AegisError('CONFIG_INVALID', `${file} holds no word vectors`);
  return { words, dimensions, matrix: toMatrix(rows, dimensions) };
}

function toMatrix(rows: number[][], dimensions: number): Float32Array {
  const matrix = new Float32Array(rows.length * dimensions);
  rows.forEach((row, index) => {
    matrix.set(row, index * dimensions);
  });
  return matrix;
}

/** model2vec: `model.safetensors` with an `embeddings` [rows, dims] tensor, and a Hugging Face `tokenizer.json`. */
async function loadModel2Vec(directory: string): Promise<StaticModel> {
  const [weights, tokenizerJson] = await Promise.all([
    readFile(path.join(directory, 'model.safetensors')),
    readFile(path.join(directory, 'tokenizer.json'), 'utf8'),
  ]).catch((error: unknown) => {
    throw new AegisError(
      'CONFIG_INVALID',
      `${directory} is not a model2vec model (model.safetensors and tokenizer.json)`,
      { cause: error },
    );
  });
  const { matrix, rows, dimensions } = readEmbeddingTensor(weights, directory);
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const tokenizer = new Tokenizer(JSON.parse(tokenizerJson), {});
  return createModel2VecModel({
    matrix,
    rows,
    dimensions,
    tokenize: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
  });
}

/** safetensors: an 8-byte little-endian header size, a JSON header of tensors, then their raw bytes. */
function readEmbeddingTensor(
  bytes: Buffer,
  source: string,
): { matrix: Float32Array; rows: number; dimensions: number } {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const tensor = header.embeddings ?? Object.entries(header).find(([name]) => name !== '__metadata__')?.[1];
  if (tensor?.shape.length !== 2)
    throw new AegisError('CONFIG_INVALID', `${source}: model.safetensors has no 2-D embeddings tensor`);
  const [rows = 0, dimensions = 0] = tensor.shape;
  const data = bytes.subarray(
    8 + headerLength + tensor.data_offsets[0],
    8 + headerLength + tensor.data_offsets[1],
  );
  const matrix = new Float32Array(rows * dimensions);
  if (tensor.dtype === 'F32') {
    for (let i = 0; i < matrix.length; i += 1) matrix[i] = data.readFloatLE(i * 4);
  } else if (tensor.dtype === 'F16') {
    for (let i = 0; i < matrix.length; i += 1) matrix[i] = halfToFloat(data.readUInt16LE(i * 2));
  } else {
    throw new AegisError(
      'CONFIG_INVALID',
      `${source}: embeddings of type ${tensor.dtype} are not supported (F32, F16)`,
    );
  }
  return { matrix, rows, dimensions };
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
