/** Where raw bytes live (source files, extracted images): content-addressed by sha256, written atomically. */
export interface BlobStore {
  /** Stores the bytes; the same bytes always get the same path (and are written once). */
  put(data: Uint8Array): Promise<{ path: string; sha256: string; size: number }>;
  get(path: string): Promise<Uint8Array>;
  delete(path: string): Promise<void>;
}
