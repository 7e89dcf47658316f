import { stemmer } from 'stemmer';

/**
 * Client-side BM25 term weighting for Qdrant's sparse vectors. Qdrant multiplies each stored value by the
 * term's inverse document frequency (`modifier: idf`, computed over the collection), so the document side
 * carries BM25's saturated, length-normalised term frequency and the query side a 1 per term.
 */

/** BM25 constants (the usual defaults) and the assumed average chunk length in terms. */
const K1 = 1.2;
const B = 0.75;
const AVERAGE_LENGTH = 200;

/**
 * English stop words (the Snowball list's most frequent part): too common to carry meaning, and left out
 * like Postgres' `english` configuration leaves them out, so both stores match the same words.
 */
const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can did do does doing down during each few for from further had has have having he her here hers herself ' +
    'him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only ' +
    'or other our ours ourselves out over own same she should so some such than that the their theirs them themselves ' +
    'then there these they this those through to too under until up very was we were what when where which while who ' +
    'whom why will with you your yours yourself yourselves'
  ).split(' '),
);

/** Lower-cased, accent-folded word stems of the text, stop words removed, in order. */
export function textTerms(text: string): string[] {
  const words =
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const terms: string[] = [];
  for (const word of words) {
    if (STOP_WORDS.has(word) || word.length > 40) continue;
    terms.push(/^\p{L}+$/u.test(word) ? stemmer(word) : word);
  }
  return terms;
}

/** 32-bit FNV-1a: a term's index in the sparse vector space (collisions are as rare as in a 4-billion-slot hash). */
function termIndex(term: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < term.length; index += 1) {
    hash ^= term.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** The document side: BM25's term-frequency part per distinct term (IDF is Qdrant's). */
export function documentSparseVector(text: string): SparseVector {
  const terms = textTerms(text);
  const counts = new Map<number, number>();
  for (const term of terms) {
    const index = termIndex(term);
    counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  const lengthNorm = K1 * (1 - B + (B * terms.length) / AVERAGE_LENGTH);
  const indices = [...counts.keys()].sort((a, b) => a - b);
  return {
    indices,
    values: indices.map((index) => {
      const tf = counts.get(index) ?? 0;
      return (tf * (K1 + 1)) / (tf + lengthNorm);
    }),
  };
}

/** The query side: each distinct term once, weight 1 (`undefined` when the query has no searchable term). */
export function querySparseVector(text: string): SparseVector | undefined {
  const indices = [...new Set(textTerms(text).map(termIndex))].sort((a, b) => a - b);
  if (indices.length === 0) return undefined;
  return { indices, values: indices.map(() => 1) };
}
