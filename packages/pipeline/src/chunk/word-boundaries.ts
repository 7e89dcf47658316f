/** The segmenters the chunker cuts with; created once per `chunkDocument` call with a fixed locale. */
export interface Segmenters {
  sentences: Intl.Segmenter;
  /** Word boundaries, also for scripts without spaces (CJK and Thai by dictionary). */
  words: Intl.Segmenter;
}

/** A fixed locale: the default would follow the machine's locale and break determinism across workers. */
export function createSegmenters(): Segmenters {
  return {
    sentences: new Intl.Segmenter('en', { granularity: 'sentence' }),
    words: new Intl.Segmenter('en', { granularity: 'word' }),
  };
}

/** How far around a position the text is segmented to find word boundaries, in UTF-16 code units. */
const WINDOW = 256;

/** Word boundaries in `text[from, to)` (window edges excluded unless they are the text's own ends). */
function boundaries(text: string, from: number, to: number, words: Intl.Segmenter): number[] {
  const start = Math.max(0, from - 32);
  const end = Math.min(text.length, to + 32);
  const found: number[] = [];
  for (const segment of words.segment(text.slice(start, end))) {
    const at = start + segment.index;
    if ((at > start || start === 0) && at >= from && at < to) found.push(at);
  }
  if (end === text.length && to >= text.length) found.push(text.length);
  return found;
}

/** True when `at` does not fall inside a word (a segment boundary of the word segmenter). */
export function isWordBoundary(text: string, at: number, words: Intl.Segmenter): boolean {
  if (at <= 0 || at >= text.length) return true;
  return boundaries(text, at, at + 1, words).includes(at);
}

/**
 * The word boundary nearest before `at` that is still after `floor`, else the nearest after it before `ceiling`;
 * `at` itself when it is a boundary, and undefined when the window holds none.
 */
export function snapToWordBoundary(
  text: string,
  at: number,
  floor: number,
  ceiling: number,
  words: Intl.Segmenter,
): number | undefined {
  if (isWordBoundary(text, at, words)) return at;
  const lo = Math.max(floor + 1, at - WINDOW);
  const hi = Math.min(ceiling, at + WINDOW);
  const found = boundaries(text, lo, hi, words);
  const before = found.filter((b) => b < at).at(-1);
  if (before !== undefined) return before;
  return found.find((b) => b > at);
}
