import { AegisError } from '@aegis/core';
import { buildCanonicalDocument, type CanonicalDocument } from './canonical-text.ts';
import type { Chunk, ChunkInputPage, ChunkOptions } from './chunk.ts';
import { overlapStart } from './overlap.ts';
import { buildPackingUnits, type PackingUnit } from './packing-units.ts';
import { splitLongTables } from './table-parts.ts';
import { tokenCount } from './tokenizer.ts';
import { createSegmenters, type Segmenters } from './word-boundaries.ts';

/** Defaults from {@link ChunkOptions}: 512 target, 64 overlap, 1,024 max tokens. */
export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({
  targetTokens: 512,
  overlapTokens: 64,
  maxTokens: 1024,
});

/**
 * A heading starts a new chunk once the current one holds at least this share of the target, so sections are
 * not split needlessly but a short section does not make a tiny chunk of its own.
 */
const HEADING_BREAK_FILL = 0.5;

/**
 * Splits a document into token-bounded chunks.
 *
 * - Text: `canonicalText(pages)`; every chunk's `text` is exactly `canonical.slice(charStart, charEnd)`.
 * - Packing: blocks (paragraphs, tables, figure descriptions) are packed greedily up to `targetTokens`; a block
 *   over the target is split into sentences, a sentence over `maxTokens` into runs of about `targetTokens`
 *   tokens cut between words. A table over the target is first rewritten as several tables of whole rows, each
 *   under its header row, and a table block is only ever split between rows.
 * - Sections: at a heading, a chunk that is at least half full ends, and a chunk never ends on a heading.
 * - Overlap: every chunk after the first starts with about the last `overlapTokens` tokens of the previous
 *   chunk (cut at a sentence or word start), included in `text`, `charStart` and `tokenCount`, but never reaching
 *   back before the heading of the section the chunk begins in; a chunk that starts at a heading has none.
 *   The overlap of chunk i is `canonical.slice(chunks[i].charStart, chunks[i - 1].charEnd)`.
 * - `pageStart`/`pageEnd` and `imageIds` cover every block the text touches (overlap included);
 *   `headingPath` is the path at the chunk's first own (non-overlap) block.
 * - `tokenCount` is the exact o200k_base count of `text`, always <= `maxTokens`.
 *
 * Pure and deterministic: the same pages and options give the same chunks on any machine.
 *
 * @throws AegisError `CONFIG_INVALID` when options are not positive integers with
 *   overlapTokens < targetTokens <= maxTokens.
 */
export function chunkDocument(pages: ChunkInputPage[], options: Partial<ChunkOptions> = {}): Chunk[] {
  const resolved = resolveChunkOptions(options);
  const doc = chunkingCanonicalDocument(pages, resolved);
  const segmenters = createSegmenters();
  const units = buildPackingUnits(doc, resolved, segmenters);
  const spans = packUnits(doc, units, resolved, segmenters);
  return spans.map((span, index) => toChunk(doc, units, span, index));
}

/**
 * The canonical document chunk offsets index into: {@link buildCanonicalDocument} after long tables are cut into
 * parts under their repeated header (so it differs from `canonicalText` only where a table is over the target).
 */
export function chunkingCanonicalDocument(
  pages: ChunkInputPage[],
  options: Partial<ChunkOptions> = {},
): CanonicalDocument {
  return buildCanonicalDocument(splitLongTables(pages, resolveChunkOptions(options).targetTokens));
}

/** Fills in defaults and rejects options no chunking can honour. */
export function resolveChunkOptions(options: Partial<ChunkOptions>): ChunkOptions {
  const resolved: ChunkOptions = {
    targetTokens: options.targetTokens ?? DEFAULT_CHUNK_OPTIONS.targetTokens,
    overlapTokens: options.overlapTokens ?? DEFAULT_CHUNK_OPTIONS.overlapTokens,
    // An explicit target above the default max raises the max with it rather than failing.
    maxTokens:
      options.maxTokens ??
      Math.max(DEFAULT_CHUNK_OPTIONS.maxTokens, options.targetTokens ?? DEFAULT_CHUNK_OPTIONS.targetTokens),
  };
  const { targetTokens, overlapTokens, maxTokens } = resolved;
  const valid =
    Number.isInteger(targetTokens) &&
    Number.isInteger(overlapTokens) &&
    Number.isInteger(maxTokens) &&
    targetTokens >= 1 &&
    overlapTokens >= 0 &&
    overlapTokens < targetTokens &&
    targetTokens <= maxTokens;
  if (!valid) {
    throw new AegisError(
      'CONFIG_INVALID',
      'chunk options must be integers with 0 <= overlapTokens < targetTokens <= maxTokens; fix the chunk settings',
      { details: { ...resolved } },
    );
  }
  return resolved;
}

/** A chunk before it is materialised: units [first, last] plus the overlap prefix starting at `start`. */
interface ChunkSpan {
  first: number;
  last: number;
  start: number;
  end: number;
  /** Exact tokens of the span's text. */
  tokens: number;
}

function packUnits(
  doc: CanonicalDocument,
  units: PackingUnit[],
  options: ChunkOptions,
  segmenters: Segmenters,
): ChunkSpan[] {
  const { targetTokens, overlapTokens, maxTokens } = options;
  const sectionStarts = sectionStartOfBlocks(doc);
  const blockStarts = doc.blocks.map((b) => b.start);
  const spans: ChunkSpan[] = [];
  let i = 0;
  while (i < units.length) {
    const first = units[i] as PackingUnit;
    const previous = spans.at(-1);
    let start = first.start;
    let overlap = 0;
    const overlapBudget = Math.min(overlapTokens, maxTokens - first.tokens - first.gapTokens);
    // A chunk that opens on a table's first row needs no overlap: the header names its columns.
    const opensTable = first.firstOfBlock && doc.blocks[first.block]?.isTable === true;
    if (previous !== undefined && overlapBudget > 0 && !opensTable) {
      start = overlapStart({
        text: doc.text,
        previousStart: previous.start,
        previousEnd: previous.end,
        ownStart: first.start,
        floor: sectionStarts[first.block] ?? 0,
        tokens: overlapBudget,
        blockStarts,
        sentences: segmenters.sentences,
        words: segmenters.words,
      });
      start = rowStart(doc, start, first.start);
      // The overlap's own tokens plus the gap to the first unit; a boundary-snapped overlap is short to count.
      if (start < first.start) overlap = tokenCount(doc.text.slice(start, previous.end)) + first.gapTokens;
    }

    const budget = Math.max(1, targetTokens - overlap);
    let total = first.tokens;
    let j = i + 1;
    let fullStop = false;
    for (; j < units.length; j++) {
      const unit = units[j] as PackingUnit;
      if (startsSection(doc, unit) && overlap + total >= targetTokens * HEADING_BREAK_FILL) break;
      if (total + unit.gapTokens + unit.tokens > budget) {
        fullStop = true;
        break;
      }
      total += unit.gapTokens + unit.tokens;
    }
    let last = j - 1;
    // A heading whose body did not fit belongs with that body in the next chunk.
    while (fullStop && last > i && startsSection(doc, units[last] as PackingUnit)) last--;

    // Unit counts are summed, and a whole text can tokenize a little differently; the exact count decides.
    let end = (units[last] as PackingUnit).end;
    let tokens = tokenCount(doc.text.slice(start, end));
    while (tokens > maxTokens) {
      if (start < first.start) start = first.start;
      else if (last > i) last--;
      else break; // a single unit is never over maxTokens: it was measured on its own
      end = (units[last] as PackingUnit).end;
      tokens = tokenCount(doc.text.slice(start, end));
    }
    spans.push({ first: i, last, start, end, tokens });
    i = last + 1;
  }
  return spans;
}

/**
 * An overlap never starts inside a table: its rows would stand without the header row that names their columns
 * (a chunk holding rows holds their header). It starts after the table instead, or is dropped.
 */
function rowStart(doc: CanonicalDocument, start: number, ownStart: number): number {
  const index = blockAt(doc, start);
  const block = doc.blocks[index];
  if (block === undefined || !block.isTable || start <= block.start || start >= block.end) return start;
  const after = doc.blocks[index + 1]?.start;
  return after !== undefined && after < ownStart ? after : ownStart;
}

function startsSection(doc: CanonicalDocument, unit: PackingUnit): boolean {
  return unit.firstOfBlock && doc.blocks[unit.block]?.isHeading === true;
}

/** For each block, the start offset of the heading that opens its section (0 before the first heading). */
function sectionStartOfBlocks(doc: CanonicalDocument): number[] {
  let current = 0;
  return doc.blocks.map((block) => {
    if (block.isHeading) current = block.start;
    return current;
  });
}

function toChunk(doc: CanonicalDocument, units: PackingUnit[], span: ChunkSpan, index: number): Chunk {
  const text = doc.text.slice(span.start, span.end);
  const firstOwn = doc.blocks[(units[span.first] as PackingUnit).block];
  let pageStart = Number.POSITIVE_INFINITY;
  let pageEnd = Number.NEGATIVE_INFINITY;
  const imageIds: string[] = [];
  for (let b = blockAt(doc, span.start); b < doc.blocks.length; b++) {
    const block = doc.blocks[b];
    if (block === undefined || block.start >= span.end) break;
    if (block.end <= span.start) continue;
    pageStart = Math.min(pageStart, block.pageNumber);
    pageEnd = Math.max(pageEnd, block.pageEnd);
    if (block.imageId !== undefined && !imageIds.includes(block.imageId)) imageIds.push(block.imageId);
  }
  return {
    index,
    text,
    tokenCount: span.tokens,
    pageStart,
    pageEnd,
    charStart: span.start,
    charEnd: span.end,
    headingPath: [...(firstOwn?.headingPath ?? [])],
    imageIds,
  };
}

/** Index of the block containing `offset`, or of the first block after it. */
function blockAt(doc: CanonicalDocument, offset: number): number {
  let lo = 0;
  let hi = doc.blocks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((doc.blocks[mid]?.end ?? 0) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
