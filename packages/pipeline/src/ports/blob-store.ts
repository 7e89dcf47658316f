/** Where raw bytes live (source files, extracted images): content-addressed by sha256, written atomically. */
export interface BlobStore {
  /** Stores the bytes; the same bytes always get the same path (and are written once). */
  put(data: Uint8Array): Promise<{ path: string; sha256: string; size: number }>;
  /**
   * Streams bytes into the store, hashing them on the way: memory stays flat however large the source. The
   * bytes become visible under their path only after `accept(meta)` resolves (e.g. the type check); when it
   * throws, or the source fails, or it exceeds `maxBytes` (`DOCUMENT_TOO_LARGE`), nothing is stored.
   */
  putStream(
    source: AsyncIterable<Uint8Array>,
    options: {
      /** Largest accepted size, in bytes. */
      maxBytes: number;
      /** Sees every chunk as it passes (e.g. a type sniffer). */
      observe?: ((chunk: Uint8Array) => void) | undefined;
      /** Last word before the blob is committed; throw to refuse it. */
      accept?: ((meta: { sha256: string; size: number }) => void | Promise<void>) | undefined;
    },
  ): Promise<{ path: string; sha256: string; size: number }>;
  get(path: string): Promise<Uint8Array>;
  delete(path: string): Promise<void>;
}
