import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** ../shared/corpus relative to the project root (never copied into the project). */
export const CORPUS_DIR = new URL('../../../shared/corpus/', import.meta.url);
export const CORPUS_AVAILABLE = existsSync(fileURLToPath(CORPUS_DIR));
if (!CORPUS_AVAILABLE)
  console.warn(
    `corpus tests skipped: ${fileURLToPath(CORPUS_DIR)} does not exist (a user's clone has no shared corpus)`,
  );

export async function corpusFile(relative: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(new URL(relative, CORPUS_DIR)));
}
