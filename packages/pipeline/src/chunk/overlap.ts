import { decode } from 'gpt-tokenizer/encoding/o200k_base';
import { encodeText, tokenCount } from './tokenizer.ts';
import { isSpace } from './whitespace.ts';
import { snapToWordBoundary } from './word-boundaries.ts';

export interface OverlapRequest {
  text: string;
  /** The previous chunk's text range in `text` (its own overlap included). */
  previousStart: number;
  previousEnd: number;
  /** Where the new chunk's own content begins; the overlap is `text.slice(result, ownStart)`. */
  ownStart: number;
  /** The overlap never reaches before this offset: the start of the section the new chunk begins in. */
  floor: number;
  /** Upper bound on the overlap's tokens (about; see {@link overlapStart}). */
  tokens: number;
  /** Offsets where a block starts (always a sentence boundary); sorted. */
  blockStarts: readonly number[];
  sentences: Intl.Segmenter;
  /** Word boundaries, for text without spaces. */
  words: Intl.Segmenter;
}

/** Characters per token assumed when sizing the window to tokenize; widened when too small. */
const CHARS_PER_TOKEN_GUESS = 6;

/**
 * Where the overlap prefix of a new chunk starts: about the last `tokens` tokens of the previous chunk, moved
 * forward to a sentence start, or failing that a word start, so chunks do not begin mid-word. Moving forward
 * only shortens the overlap, so it stays within the budget (give or take the one token that tokenizing a
 * suffix on its own can differ by). A boundary is only taken while it keeps at least half the budget; in text
 * without spaces (CJK, Thai) the word segmenter's boundary is taken; with none at all the overlap is dropped
 * rather than started inside a word. Returns `ownStart` for no overlap.
 */
export function overlapStart(request: OverlapRequest): number {
  const { text, previousEnd, ownStart, tokens: budget } = request;
  const floor = Math.max(request.previousStart, request.floor);
  if (budget <= 0 || floor >= previousEnd) return ownStart;

  const position = tokenPosition(text, floor, previousEnd, budget);
  if (position === undefined || position >= previousEnd) return ownStart;

  const minimum = Math.max(1, Math.floor(budget / 2));
  const keeps = (at: number): boolean => tokenCount(text.slice(at, previousEnd)) >= minimum;

  const sentence = nextSentenceStart(request, position);
  if (sentence !== undefined && keeps(sentence)) return sentence;
  const word = nextWordStart(text, position, previousEnd, floor);
  if (word !== undefined && (word === position || keeps(word))) return word;
  const found = snapToWordBoundary(text, position, position - 1, previousEnd, request.words);
  const segment = found === undefined ? undefined : skipSpaces(text, found, previousEnd);
  if (segment !== undefined && segment < previousEnd && keeps(segment)) return segment;
  // Inside a word longer than the budget (a giant URL): a short overlap after it beats none or half a word.
  const fallback = Math.min(word ?? previousEnd, segment ?? previousEnd);
  return fallback < previousEnd ? fallback : ownStart;
}

/** The offset where the last `budget` tokens of `text[floor, end)` begin (a clean character boundary). */
function tokenPosition(text: string, floor: number, end: number, budget: number): number | undefined {
  let windowChars = Math.max(64, budget * CHARS_PER_TOKEN_GUESS);
  for (;;) {
    const windowStart = Math.max(floor, end - windowChars);
    const window = text.slice(windowStart, end);
    const tokens = encodeText(window);
    if (tokens.length <= budget) {
      if (windowStart === floor) return windowStart;
      windowChars *= 4;
      continue;
    }
    // A tail that starts inside a multi-byte character decodes to U+FFFD; take a token less until it is clean.
    for (let take = budget; take >= 1; take--) {
      const tail = decode(tokens.slice(tokens.length - take));
      if (tail.length > 0 && !tail.startsWith('\uFFFD') && window.endsWith(tail)) return end - tail.length;
    }
    return undefined;
  }
}

function nextSentenceStart(request: OverlapRequest, from: number): number | undefined {
  const { text, previousEnd, blockStarts, sentences } = request;
  let best = firstAtOrAfter(blockStarts, from);
  if (best !== undefined && best >= previousEnd) best = undefined;
  // Segment from a little before `from` so the first real boundary after it is found; the segment that starts
  // at the window's own edge is not a boundary and is skipped.
  const windowStart = Math.max(request.floor, request.previousStart, from - 400);
  const window = text.slice(windowStart, previousEnd);
  for (const segment of sentences.segment(window)) {
    const at = windowStart + segment.index;
    if (segment.index === 0 || at < from) continue;
    if (best === undefined || at < best) best = skipSpaces(text, at, previousEnd);
    break;
  }
  return best !== undefined && best < previousEnd ? best : undefined;
}

function nextWordStart(text: string, from: number, end: number, floor: number): number | undefined {
  for (let i = from; i < end; i++) {
    const startsWord = !isSpace(text.charCodeAt(i)) && (i === floor || isSpace(text.charCodeAt(i - 1)));
    if (startsWord) return i;
  }
  return undefined;
}

function skipSpaces(text: string, at: number, end: number): number {
  let i = at;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function firstAtOrAfter(sorted: readonly number[], value: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}
