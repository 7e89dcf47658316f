/** One ranked list for fusion: items best first, each with the list's own score. */
export interface RankedList<T> {
  /** `vector` or `keyword`: which score part the list's scores fill in. */
  kind: 'vector' | 'keyword';
  weight: number;
  items: ReadonlyArray<{ id: string; score: number; item: T }>;
}

export interface FusedItem<T> {
  id: string;
  item: T;
  /** Σ weight / (k + rank) over the lists the item is in (ranks from 1). */
  fused: number;
  vector?: { score: number; rank: number } | undefined;
  keyword?: { score: number; rank: number } | undefined;
}

/**
 * Weighted reciprocal rank fusion (Cormack et al. 2009): ranks, not raw scores, are combined, so a cosine and
 * a BM25 score (or cosines of two embedding spaces) never have to be made comparable. `k` damps the head of each
 * list (default 60 here, as in the paper; search passes SEARCH_RRF_K, 5 by default). Ties break by the better single rank, then by id, so the order is deterministic.
 */
export function reciprocalRankFusion<T>(lists: ReadonlyArray<RankedList<T>>, k = 60): FusedItem<T>[] {
  const fused = new Map<string, FusedItem<T> & { bestRank: number }>();
  for (const list of lists) {
    list.items.forEach((entry, index) => {
      const rank = index + 1;
      let current = fused.get(entry.id);
      if (current === undefined) {
        current = { id: entry.id, item: entry.item, fused: 0, bestRank: rank };
        fused.set(entry.id, current);
      }
      current.fused += list.weight / (k + rank);
      current.bestRank = Math.min(current.bestRank, rank);
      const part = { score: entry.score, rank };
      if (list.kind === 'vector' && (current.vector === undefined || rank < current.vector.rank))
        current.vector = part;
      if (list.kind === 'keyword' && (current.keyword === undefined || rank < current.keyword.rank))
        current.keyword = part;
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.fused - a.fused || a.bestRank - b.bestRank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ bestRank: _bestRank, ...item }) => item);
}
