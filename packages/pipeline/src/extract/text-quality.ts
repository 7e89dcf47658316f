// Decodability of extracted text. Fonts without a usable text mapping (no ToUnicode, a custom encoding) make
// pdf.js return glyph codes as if they were characters: `2)'#3%4(56#`, runs of control codes, or letters in an
// order no language has. Such text would be embedded and found by searches for punctuation, so it is scored
// here, kept out of the index and the page is marked for OCR.

/** Scores of one text run. */
export interface TextQuality {
  /** Non-space characters in tokens that read as words, numbers or common notation. */
  goodChars: number;
  /** Non-space characters in tokens that do not (symbol soup, control codes, replacement characters). */
  badChars: number;
  /** goodChars / (goodChars + badChars); 1 for text without scored characters. */
  score: number;
}

/** Below this share of readable characters a run is junk (once it has {@link MIN_BAD_CHARS} bad ones). */
export const JUNK_SCORE = 0.6;
/** Fewer bad characters than this never make a run junk: a stray symbol or a short formula is not noise. */
const MIN_BAD_CHARS = 6;

// Affiliation and footnote marks (*, †, ‡, #, $, +) and quotes or brackets around a word are not part of it.
const EDGE_PUNCTUATION = /^[\p{Ps}\p{Pi}"'`*#§¶†‡•·¿¡]+|[\p{Pe}\p{Pf}"'`.,;:!?*∗†‡%#$+]+$/gu;
/** Inside a token, these separate items that are judged one by one: `{gal,brendan}@mozilla.com`, `Moon[16][17]`. */
const INNER_SEPARATORS = /[,;{}[\]()|]+/u;
const WORD = /^[\p{L}\p{M}]+(?:['’\-‐.·&/][\p{L}\p{M}]+)*\.?$/u;
const NUMBER = /^[+\-−±]?[$€£¥]?\d+(?:[.,:/\-–]\d+)*[%‰]?(?:st|nd|rd|th|[a-z])?$/iu;
const ALPHANUMERIC = /^[\p{L}\p{N}]+(?:[-_./][\p{L}\p{N}]+)*$/u;
const URL_OR_MAIL =
  /^(?:[a-z][a-z0-9+.-]*:\/\/\S+|www\.\S+|[\w.+-]*@[\w-]+(?:\.[\w-]+)+|[\w-]+(?:\.[\w-]+)+\/\S*)$/iu;
const MATH = /[\p{Sm}\p{Script=Greek}′″∂∇∞]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control codes are what undecodable fonts produce.
const UNDECODABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/u;
/** Private-use code points: symbol fonts (Symbol, Wingdings) map their glyphs there; inside a word they are junk. */
const PRIVATE_USE = /[\uE000-\uF8FF]/u;
const LATIN_LETTERS = /^[A-Za-z\u00C0-\u024F]+$/;
const VOWEL =
  /[aeiouyAEIOUY\u00C0-\u00C6\u00C8-\u00CF\u00D2-\u00D6\u00D9-\u00DD\u00E0-\u00E6\u00E8-\u00EF\u00F2-\u00F6\u00F9-\u00FD\u0100-\u0105\u0112-\u011B\u012A-\u0131\u014C-\u0151\u0168-\u0173]/;

/** A Latin word with no vowel over 5 letters, or with case flipping inside it ("qXzRt"), is not a word. */
function plausibleLatinWord(word: string): boolean {
  const letters = word.replace(/['’\-‐.·&/]/g, '');
  if (!LATIN_LETTERS.test(letters)) return true; // other scripts: no cheap test, trust the letters
  if (letters.length > 5 && !VOWEL.test(letters)) return false;
  // Case changes after the first letter: "iPhone", "JavaScript" have one or two, glyph soup has many.
  return word.split(/['’\-‐.·&/]/).every((part) => {
    let flips = 0;
    for (let i = 2; i < part.length; i++) {
      const a = part[i - 1] as string;
      const b = part[i] as string;
      if ((a === a.toLowerCase()) !== (b === b.toLowerCase())) flips++;
    }
    return flips <= 2;
  });
}

type TokenClass = 'good' | 'bad' | 'neutral';

function tokenClass(token: string): TokenClass {
  if (UNDECODABLE.test(token)) return 'bad';
  if (PRIVATE_USE.test(token)) return /^[\uE000-\uF8FF]$/u.test(token) ? 'neutral' : 'bad';
  const core = token.replace(EDGE_PUNCTUATION, '');
  if (core === '') return symbolsOnly(token);
  if (INNER_SEPARATORS.test(core)) {
    const parts = core.split(INNER_SEPARATORS).filter((part) => part !== '');
    if (parts.length === 0) return symbolsOnly(core);
    const classes = parts.map(coreClass);
    if (classes.includes('bad')) return 'bad';
    return classes.includes('good') ? 'good' : 'neutral';
  }
  return coreClass(core);
}

/**
 * A token with no letters or digits: typographic symbols (♣, ≤, —) and short or repeated marks ("--", "...")
 * are deliberate; three or more mixed ASCII marks (`$!"#`) are what undecodable fonts produce.
 */
function symbolsOnly(token: string): TokenClass {
  if (/^[^\x21-\x7e]+$/u.test(token)) return 'neutral';
  if ([...token].length <= 2 || /^(.)\1*$/u.test(token)) return 'neutral';
  return 'bad';
}

function coreClass(core: string): TokenClass {
  if (/^[^\p{L}\p{N}]+$/u.test(core)) return symbolsOnly(core);
  if (WORD.test(core)) return plausibleLatinWord(core) ? 'good' : 'bad';
  if (NUMBER.test(core) || URL_OR_MAIL.test(core)) return 'good';
  if (ALPHANUMERIC.test(core)) return core.length <= 24 ? 'good' : 'bad';
  // Formulas and CJK/Thai runs without spaces are not judged: too short to tell, or not Latin at all.
  if (MATH.test(core)) return 'neutral';
  if (/^[\p{L}\p{M}\p{N}]+$/u.test(core)) return 'good';
  return 'bad';
}

/** Scores a run of text for decodability (see {@link TextQuality}). */
export function scoreText(text: string): TextQuality {
  let goodChars = 0;
  let badChars = 0;
  for (const token of text.split(/[\s\u00A0]+/)) {
    if (token === '') continue;
    const size = [...token].length;
    const kind = tokenClass(token);
    if (kind === 'good') goodChars += size;
    else if (kind === 'bad') badChars += size;
  }
  const total = goodChars + badChars;
  return { goodChars, badChars, score: total === 0 ? 1 : goodChars / total };
}

/** True when the run should not be indexed: enough unreadable characters and too few readable ones. */
export function isJunk(text: string): boolean {
  const quality = scoreText(text);
  if (quality.badChars >= MIN_BAD_CHARS && quality.score < JUNK_SCORE) return true;
  // Glyph codes spaced out one by one ("! \" # ! $"): each token is too short to judge, their mix is not.
  const visible = text.replace(/\s+/g, '');
  const marks = visible.match(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g)?.length ?? 0;
  return visible.length >= 8 && marks / visible.length >= 0.5 && quality.goodChars < visible.length / 2;
}
