// Matching outline (bookmark) titles to the text printed on the page. Authors write "Chapter 1: Creators" in
// the bookmarks and "CHAPTER ONE: CREATORS" on the page, "1 Introduction" and "1. INTRODUCTION", "Part II" and
// "PART 2", with line breaks, ligatures and curly quotes in either. Both sides are reduced to one canonical form
// and then compared exactly, without their numbering, and by character-bigram similarity.

const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};

/** Words after which a number (arabic, roman or spelled out) is a division's number. */
const DIVISIONS = new Set([
  'chapter',
  'part',
  'section',
  'book',
  'volume',
  'vol',
  'appendix',
  'lecture',
  'lesson',
  'unit',
  'article',
  'act',
  'scene',
  'kapitel',
  'teil',
  'chapitre',
  'partie',
  'capitulo',
  'parte',
]);

const ROMAN = /^(?=[mdclxvi])m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$/;

/** Value of a lower-case roman numeral, or undefined. */
export function romanValue(token: string): number | undefined {
  if (token === '' || !ROMAN.test(token)) return undefined;
  const values: Record<string, number> = { i: 1, v: 5, x: 10, l: 50, c: 100, d: 500, m: 1000 };
  let total = 0;
  for (let i = 0; i < token.length; i++) {
    const value = values[token[i] as string] ?? 0;
    const next = values[token[i + 1] as string] ?? 0;
    total += value < next ? -value : value;
  }
  return total;
}

/** "twenty one", "twenty-one" -> 21 (tokens already split); returns value and tokens used. */
function spelledNumber(tokens: readonly string[], at: number): { value: number; used: number } | undefined {
  const first = NUMBER_WORDS[tokens[at] ?? ''];
  if (first === undefined) return undefined;
  const second = NUMBER_WORDS[tokens[at + 1] ?? ''];
  if (first >= 20 && first % 10 === 0 && second !== undefined && second > 0 && second < 10) {
    return { value: first + second, used: 2 };
  }
  return { value: first, used: 1 };
}

/**
 * Canonical form for matching: NFKC (ligatures, full-width forms), lower case, accents dropped, punctuation to
 * spaces, and the number of a division ("chapter one", "part ii", "chapter 1") written in digits. A leading
 * lone roman numeral ("IV. Results") becomes digits too.
 */
export function canonicalTitle(text: string): string {
  const tokens = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((t) => t !== '');
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const afterDivision = i > 0 && DIVISIONS.has(tokens[i - 1] as string);
    if (afterDivision || i === 0) {
      const spelled = spelledNumber(tokens, i);
      if (spelled !== undefined && afterDivision) {
        out.push(String(spelled.value));
        i += spelled.used - 1;
        continue;
      }
      // "I" as a first word is a pronoun far more often than a numeral, unless a division word precedes it.
      const roman = romanValue(token);
      if (roman !== undefined && (afterDivision || (i === 0 && token.length > 1 && tokens.length > 1))) {
        out.push(String(roman));
        continue;
      }
    }
    out.push(token);
  }
  return out.join(' ');
}

const NUMBERING =
  /^(?:(?:chapter|part|section|appendix|book|volume|lecture) \d+ |\d+(?: \d+)* |[a-z] (?=\S{2,}))/;

/** The title without its numbering label ("chapter 1 creators" -> "creators", "2 1 trace trees" -> "trace trees"). */
export function titleCore(canonical: string): string {
  const stripped = canonical.replace(NUMBERING, '');
  return stripped === '' ? canonical : stripped;
}

function bigrams(text: string): Map<string, number> {
  const compact = text.replace(/ /g, '');
  const grams = new Map<string, number>();
  for (let i = 0; i < compact.length - 1; i++) {
    const gram = compact.slice(i, i + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

/** Sørensen–Dice similarity of character bigrams (spaces ignored), 0..1. */
export function diceSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const ga = bigrams(a);
  const gb = bigrams(b);
  let total = 0;
  for (const n of ga.values()) total += n;
  for (const n of gb.values()) total += n;
  if (total === 0) return 0;
  let shared = 0;
  for (const [gram, n] of ga) shared += Math.min(n, gb.get(gram) ?? 0);
  return (2 * shared) / total;
}

/** Fuzzy matches below this similarity are not the same heading. */
export const FUZZY_MATCH = 0.82;

/**
 * How well page text matches an outline title, 0..1: 1 for the same canonical text, 0.95 when they differ only
 * by the numbering label, otherwise the bigram similarity of the two cores (0 below {@link FUZZY_MATCH}).
 */
export function titleMatchScore(outlineTitle: string, pageText: string): number {
  const a = canonicalTitle(outlineTitle);
  const b = canonicalTitle(pageText);
  if (a === '' || b === '') return 0;
  if (a === b) return 1;
  const coreA = titleCore(a);
  const coreB = titleCore(b);
  if (coreA === coreB && coreA.length >= 3) return 0.95;
  // A heading longer than the title by far is a sentence that mentions it, not the heading.
  if (b.length > 2 * a.length + 12) return 0;
  const similarity = Math.max(diceSimilarity(a, b), diceSimilarity(coreA, coreB));
  return similarity >= FUZZY_MATCH ? similarity * 0.9 : 0;
}

/** Depth of a heading's numbering: "1" -> 1, "2.3" -> 2, "A.1.2" -> 3, "IV." -> 1; undefined when unnumbered. */
export function numberingDepth(text: string): number | undefined {
  const match = text.trim().match(/^(?:(\d{1,3}|[A-Z]|[IVXLC]{1,6})((?:\.\d{1,3})*)\.?)(?=\s+\S)/);
  if (match === null) return undefined;
  const head = match[1] as string;
  // A lone capital followed by text is a numbering only with a dot ("A. Proofs"), not "A study of ...".
  if (/^[A-Z]$/.test(head) && !/^[A-Z]\./.test(text.trim())) return undefined;
  if (/^[IVXLC]+$/.test(head) && head.length > 1 && romanValue(head.toLowerCase()) === undefined)
    return undefined;
  const rest = match[2] ?? '';
  return 1 + (rest === '' ? 0 : rest.split('.').length - 1);
}
