import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Loads a `.env` file into `process.env`, as README promises (`cp .env.example .env`). Variables already set
 * in the environment win over the file (Node's `process.loadEnvFile` never overwrites), so a deployment's
 * real environment is never shadowed by a stray file.
 *
 * @param options.file an explicit file (e.g. the CLI's `--env-file`); it must exist.
 * @param options.cwd where to look for `.env` when no file is named. Default: `process.cwd()`.
 * @returns the absolute path loaded, or `undefined` when there was no `.env` to load.
 */
export function loadDotEnv(
  options: { file?: string | undefined; cwd?: string | undefined } = {},
): string | undefined {
  const file = path.resolve(options.cwd ?? process.cwd(), options.file ?? '.env');
  if (options.file === undefined && !existsSync(file)) return undefined;
  // Throws ENOENT for a named file that does not exist: the caller asked for it, so saying so is right.
  process.loadEnvFile(file);
  return file;
}
