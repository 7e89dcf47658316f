import { countTokens, decode, encode, isWithinTokenLimit } from 'gpt-tokenizer/encoding/o200k_base';
import { isSpace } from './whitespace.ts';

/**
 * Document text is data, not a prompt: a literal `<|endoftext|>` in a PDF must count as ordinary text
 * instead of making the tokenizer throw (its default) or collapse into one special token.
 */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Longest run of non-space (or of space) characters tokenized in one piece, in UTF-16 code units.
 * Byte-pair encoding is quadratic in the length of one pre-token: 40,000 CJK characters without punctuation
 * take 25 s, 40,000 spaces 4 s. Real prose never has such runs; hostile or odd text (DNA, base64, padding)
 * does. Cutting them every 128 characters keeps tokenizing linear; the count then differs from tokenizing the
 * run whole by about one token per cut (under 1% even for CJK at one token per character).
 */
const MAX_RUN = 128;
const LETTER = /\p{L}|\p{M}/u;

/**
 * `text` cut into pieces that tokenize in linear time (see {@link MAX_RUN}); one piece for ordinary text.
 * Inside a long non-space run a cut goes where a letter meets a non-letter, where the tokenizer's own
 * pre-splitting would cut too (so URLs and base64 keep their exact count), or else after {@link MAX_RUN}.
 */
function linearPieces(text: string): string[] {
  if (text.length <= MAX_RUN) return [text];
  // A plain loop over char codes: a regex like /\S{129,}/ backtracks over every word and cost more than
  // the tokenizer itself.
  const pieces: string[] = [];
  let from = 0;
  let runStart = 0;
  let runIsSpace = isSpace(text.charCodeAt(0));
  for (let i = 1; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (space !== runIsSpace) {
      runStart = i;
      runIsSpace = space;
    } else if (i - runStart >= MAX_RUN) {
      const cut = runIsSpace ? runStart + MAX_RUN : cutInRun(text, runStart, runStart + MAX_RUN);
      pieces.push(text.slice(from, cut));
      from = cut;
      runStart = cut;
    }
  }
  pieces.push(text.slice(from));
  return pieces;
}

function cutInRun(text: string, from: number, limit: number): number {
  for (let i = limit; i > from + MAX_RUN / 2; i--) {
    if (LETTER.test(text.charAt(i - 1)) && !LETTER.test(text.charAt(i)) && !isLowSurrogate(text, i)) return i;
  }
  return isLowSurrogate(text, limit) ? limit - 1 : limit;
}

function isLowSurrogate(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Tokens of `text` with o200k_base, special-token strings counted as plain text. */
export function tokenCount(text: string): number {
  let total = 0;
  for (const piece of linearPieces(text)) total += countTokens(piece, AS_PLAIN_TEXT);
  return total;
}

/**
 * Tokens of `text` when it has at most `limit` tokens, otherwise `undefined`. Stops encoding early, so asking
 * whether a 1 MB paragraph fits in 512 tokens costs about 512 tokens of work, not the whole paragraph.
 */
export function tokenCountWithin(text: string, limit: number): number | undefined {
  let total = 0;
  for (const piece of linearPieces(text)) {
    const n = isWithinTokenLimit(piece, limit - total, AS_PLAIN_TEXT);
    if (n === false) return undefined;
    total += n;
  }
  return total;
}

export function encodeText(text: string): number[] {
  const pieces = linearPieces(text);
  if (pieces.length === 1) return encode(text, AS_PLAIN_TEXT);
  return pieces.flatMap((piece) => encode(piece, AS_PLAIN_TEXT));
}

/**
 * Splits `text` into consecutive pieces of at most `maxPieceTokens` tokens each, cutting only at token
 * boundaries that are also character boundaries, and returns the pieces' end offsets (UTF-16 code units,
 * relative to `text`; the last one is `text.length`) with each piece's token count.
 *
 * Why not just decode token slices: a token can hold part of a multi-byte character (CJK, emoji), and a
 * decoded partial character becomes U+FFFD, which would break `canonical.slice(start, end) === chunk.text`.
 * So a cut is accepted only where the decoded prefix really is a prefix of the source; otherwise it moves back
 * a token or two (a character is at most 4 bytes). The tokens are encoded once, so a 1 MB run without spaces
 * costs one encode plus one decode, not one encode per piece.
 */
export function splitAtTokenBoundaries(
  text: string,
  maxPieceTokens: number,
): Array<{ end: number; tokens: number }> {
  const size = Math.max(1, Math.floor(maxPieceTokens));
  const pieces: Array<{ end: number; tokens: number }> = [];
  let offset = 0;
  let tokens = encodeText(text);
  let at = 0;
  while (at < tokens.length) {
    if (tokens.length - at <= size) {
      pieces.push({ end: text.length, tokens: tokens.length - at });
      break;
    }
    const cut = findCleanCut(text, offset, tokens, at, size);
    if (cut === undefined) {
      // No clean boundary near the target (not seen with o200k, kept as a guard): cut at a code point
      // boundary proportionally and re-encode the rest so offsets can never drift.
      const rest = text.slice(offset);
      let step = Math.max(1, Math.floor((rest.length * size) / (tokens.length - at)));
      const code = rest.codePointAt(step - 1);
      if (code !== undefined && code > 0xffff) step += 1;
      const piece = rest.slice(0, step);
      pieces.push({ end: offset + piece.length, tokens: tokenCount(piece) });
      offset += piece.length;
      tokens = encodeText(text.slice(offset));
      at = 0;
      continue;
    }
    pieces.push({ end: offset + cut.chars, tokens: cut.tokens });
    offset += cut.chars;
    at += cut.tokens;
  }
  return pieces;
}

function findCleanCut(
  text: string,
  offset: number,
  tokens: number[],
  at: number,
  size: number,
): { chars: number; tokens: number } | undefined {
  for (let take = size; take >= Math.max(1, size - 8); take--) {
    const decoded = decode(tokens.slice(at, at + take));
    if (decoded.length > 0 && text.startsWith(decoded, offset) && !decoded.endsWith('\uFFFD')) {
      return { chars: decoded.length, tokens: take };
    }
  }
  return undefined;
}
