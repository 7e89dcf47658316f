import type { CanonicalDocument } from './canonical-text.ts';
import { splitAtTokenBoundaries, tokenCount, tokenCountWithin } from './tokenizer.ts';
import { isSpace } from './whitespace.ts';
import { type Segmenters, snapToWordBoundary } from './word-boundaries.ts';

/**
 * The smallest piece the packer places: a whole block, a sentence of an oversized block, or a token-bounded
 * slice of an oversized sentence. Offsets are in the canonical text and exclude surrounding whitespace, so the
 * text between two consecutive units is always whitespace ("\n\n" between blocks).
 */
export interface PackingUnit {
  start: number;
  end: number;
  /** Tokens of the unit's own text, counted once when the unit is made. */
  tokens: number;
  /** Estimated tokens the whitespace before this unit adds when it follows the previous unit in a chunk. */
  gapTokens: number;
  /** Index into {@link CanonicalDocument.blocks}. */
  block: number;
  /** True for the first unit of its block: the only place a heading can start a chunk. */
  firstOfBlock: boolean;
}

export interface UnitLimits {
  /** Blocks above this are split into sentences; token-split pieces are this size. */
  targetTokens: number;
  /** Sentences above this are split at token boundaries. */
  maxTokens: number;
}

/**
 * Cuts the canonical document into packing units. Each piece of text is tokenized about once: blocks and
 * sentences are measured with an early-stopping count, and only oversized ones are measured again in pieces.
 */
export function buildPackingUnits(
  doc: CanonicalDocument,
  limits: UnitLimits,
  segmenters: Segmenters,
): PackingUnit[] {
  const units: PackingUnit[] = [];
  const { text } = doc;
  doc.blocks.forEach((block, blockIndex) => {
    const first = units.length;
    const add = (start: number, end: number, tokens: number): void => {
      const trimmed = trimRange(text, start, end);
      if (trimmed === undefined) return;
      units.push({
        start: trimmed.start,
        end: trimmed.end,
        tokens,
        gapTokens: 0,
        block: blockIndex,
        firstOfBlock: false,
      });
    };

    const blockText = text.slice(block.start, block.end);
    // A table up to maxTokens stays whole; a longer one (a single huge row) is cut between rows first.
    const whole = tokenCountWithin(blockText, block.isTable ? limits.maxTokens : limits.targetTokens);
    if (whole !== undefined) {
      add(block.start, block.end, whole);
    } else {
      const pieces = block.isTable ? rows(blockText) : segmenters.sentences.segment(blockText);
      for (const segment of pieces) {
        const start = block.start + segment.index;
        const end = start + segment.segment.length;
        const trimmed = trimRange(text, start, end);
        if (trimmed === undefined) continue;
        const sentence = text.slice(trimmed.start, trimmed.end);
        const fits = tokenCountWithin(sentence, limits.maxTokens);
        if (fits !== undefined) {
          add(trimmed.start, trimmed.end, fits);
          continue;
        }
        for (const piece of tokenPieces(sentence, limits, segmenters.words)) {
          add(trimmed.start + piece.start, trimmed.start + piece.end, piece.tokens);
        }
      }
    }

    const firstUnit = units[first];
    if (firstUnit !== undefined) firstUnit.firstOfBlock = true;
  });

  for (let i = 1; i < units.length; i++) {
    const unit = units[i];
    const previous = units[i - 1];
    if (unit === undefined || previous === undefined) continue;
    unit.gapTokens = gapTokens(text.slice(previous.end, unit.start));
  }
  return units;
}

/**
 * A sentence over `maxTokens` cut into runs of `targetTokens` tokens. A run re-tokenized on its own can come
 * out a token or two longer than its slice of the sentence's tokens (a word cut in half), so each run is
 * counted exactly, trimmed, and cut again smaller in the rare case it exceeds `maxTokens`.
 */
function tokenPieces(
  sentence: string,
  limits: UnitLimits,
  words: Intl.Segmenter,
): Array<{ start: number; end: number; tokens: number }> {
  const result: Array<{ start: number; end: number; tokens: number }> = [];
  const cut = (start: number, end: number, size: number): void => {
    const text = sentence.slice(start, end);
    let pieceStart = start;
    for (const piece of splitAtTokenBoundaries(text, size)) {
      let pieceEnd = start + piece.end;
      if (pieceEnd <= pieceStart) continue;
      // Cut between words: back to the last word boundary in the piece, else on to the next one (the piece is
      // counted again below and cut smaller if that took it over maxTokens: only a word longer than maxTokens
      // is ever cut inside).
      if (pieceEnd < end) {
        const snapped = snapToWordBoundary(sentence, pieceEnd, pieceStart, end, words);
        if (snapped !== undefined && snapped > pieceStart) pieceEnd = snapped;
      }
      const range = trimRange(sentence, pieceStart, pieceEnd);
      if (range !== undefined) {
        const tokens = tokenCount(sentence.slice(range.start, range.end));
        if (tokens <= limits.maxTokens || size <= 1) result.push({ ...range, tokens });
        else cut(range.start, range.end, Math.max(1, size - (tokens - limits.maxTokens) - 1));
      }
      pieceStart = pieceEnd;
    }
  };
  cut(0, sentence.length, limits.targetTokens);
  return result;
}

/** Common gaps are costed without the tokenizer; odd ones (long whitespace runs) are counted. */
function gapTokens(gap: string): number {
  if (gap === '' || gap === ' ') return 0; // a leading space merges into the next word's token
  if (gap === '\n\n' || gap === '\n') return 1;
  return tokenCount(gap);
}

/** A Markdown table's lines as segments, like `Intl.Segmenter` gives sentences. */
function rows(text: string): Array<{ index: number; segment: string }> {
  const result: Array<{ index: number; segment: string }> = [];
  let index = 0;
  for (const line of text.split('\n')) {
    result.push({ index, segment: line });
    index += line.length + 1;
  }
  return result;
}

function trimRange(text: string, start: number, end: number): { start: number; end: number } | undefined {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  return s < e ? { start: s, end: e } : undefined;
}
