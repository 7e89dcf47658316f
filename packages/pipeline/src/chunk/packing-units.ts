import type { CanonicalDocument } from './canonical-text.ts';
import { splitAtTokenBoundaries, tokenCount, tokenCountWithin } from './tokenizer.ts';
import { isSpace } from './whitespace.ts';

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
  sentences: Intl.Segmenter,
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
    const whole = tokenCountWithin(blockText, limits.targetTokens);
    if (whole !== undefined) {
      add(block.start, block.end, whole);
    } else {
      for (const segment of sentences.segment(blockText)) {
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
        for (const piece of tokenPieces(sentence, limits)) {
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
): Array<{ start: number; end: number; tokens: number }> {
  const result: Array<{ start: number; end: number; tokens: number }> = [];
  const cut = (start: number, end: number, size: number): void => {
    const text = sentence.slice(start, end);
    let pieceStart = start;
    for (const piece of splitAtTokenBoundaries(text, size)) {
      const pieceEnd = start + piece.end;
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

function trimRange(text: string, start: number, end: number): { start: number; end: number } | undefined {
  let s = start;
  let e = end;
  while (s < e && isSpace(text.charCodeAt(s))) s++;
  while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
  return s < e ? { start: s, end: e } : undefined;
}
