import type { OutlineEntry } from './extracted-document.ts';
import type { PdfDocumentProxy } from './pdfjs.ts';

/** Outline entries beyond this are ignored: a hostile outline can be huge. */
const MAX_OUTLINE_ENTRIES = 2000;
const MAX_OUTLINE_DEPTH = 8;

interface RawOutlineNode {
  title: string;
  dest: string | unknown[] | null;
  items: RawOutlineNode[];
}

/** The outline (bookmarks) with each entry's page and, where the destination says, its height on the page. */
export async function readOutline(doc: PdfDocumentProxy): Promise<OutlineEntry[]> {
  let roots: RawOutlineNode[] | null;
  try {
    roots = (await doc.getOutline()) as RawOutlineNode[] | null;
  } catch {
    return [];
  }
  const entries: OutlineEntry[] = [];
  const heights = new Map<number, Promise<number | undefined>>();
  const visit = async (nodes: readonly RawOutlineNode[], level: number): Promise<void> => {
    for (const node of nodes) {
      if (entries.length >= MAX_OUTLINE_ENTRIES) return;
      const target = await destination(doc, node.dest, heights);
      entries.push({ title: node.title.trim(), level, ...target });
      if (level < MAX_OUTLINE_DEPTH && node.items.length > 0) await visit(node.items, level + 1);
    }
  };
  await visit(roots ?? [], 1);
  return entries;
}

/** Page number and, for `/XYZ`, `/FitH` and `/FitBH` destinations, the height it points to (from the top). */
async function destination(
  doc: PdfDocumentProxy,
  dest: RawOutlineNode['dest'],
  heights: Map<number, Promise<number | undefined>>,
): Promise<{ pageNumber?: number; top?: number }> {
  try {
    const explicit = typeof dest === 'string' ? await doc.getDestination(dest) : dest;
    const target = explicit?.[0];
    let pageNumber: number | undefined;
    if (typeof target === 'number') pageNumber = target + 1;
    else if (target !== null && typeof target === 'object' && 'num' in target) {
      pageNumber = (await doc.getPageIndex(target as { num: number; gen: number })) + 1;
    }
    if (pageNumber === undefined) return {};
    const kind = (explicit?.[1] as { name?: unknown } | undefined)?.name;
    const y =
      kind === 'XYZ' ? explicit?.[3] : kind === 'FitH' || kind === 'FitBH' ? explicit?.[2] : undefined;
    if (typeof y !== 'number' || !Number.isFinite(y)) return { pageNumber };
    let height = heights.get(pageNumber);
    if (height === undefined) {
      height = doc
        .getPage(pageNumber)
        .then((page) => (page.view[3] ?? 0) - (page.view[1] ?? 0))
        .catch(() => undefined);
      heights.set(pageNumber, height);
    }
    const pageHeight = await height;
    return pageHeight === undefined ? { pageNumber } : { pageNumber, top: Math.max(0, pageHeight - y) };
  } catch {
    // A dangling destination only loses the page number of one outline entry.
    return {};
  }
}
