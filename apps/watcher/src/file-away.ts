import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensurePlainFolder, moveWithoutOverwrite } from './move-without-overwrite.ts';
import type { ErrorReport, Outcome } from './outcome.ts';

export const ERROR_REPORT_SUFFIX = '.error.json';

/**
 * Moves a finished file into `<inbox>/processed/` or `<inbox>/failed/`, or for a file of a knowledge-base
 * sub-folder into `<inbox>/processed/<folder>/` or `<inbox>/failed/<folder>/`; a failed one gets
 * `<name>.error.json` beside it, under the same (possibly suffixed) name. `file` may be a path through a pinned
 * folder (`/proc/self/fd/<n>/<name>`): only its base name is kept. Returns the new path.
 */
export async function fileAway(
  file: string,
  inboxDir: string,
  outcome: Outcome,
  report?: ErrorReport | undefined,
  folder?: string | undefined,
): Promise<string> {
  const target = path.join(inboxDir, outcome);
  // Every level from the inbox down must be a plain folder: a link at `processed/` or `processed/<kb>/` would
  // send files (and reports) wherever it points. moveWithoutOverwrite checks the last level again.
  if (folder !== undefined) await ensurePlainFolder(target);
  const destination = folder === undefined ? target : path.join(target, folder);
  if (outcome === 'processed') return moveWithoutOverwrite(file, destination);
  const moved = await moveWithoutOverwrite(file, destination, { companions: [ERROR_REPORT_SUFFIX] });
  if (report) {
    // `wx`: the companion name was checked free; never clobber a report another process wrote meanwhile.
    await writeFile(`${moved}${ERROR_REPORT_SUFFIX}`, `${JSON.stringify(report, null, 2)}\n`, {
      flag: 'wx',
    });
  }
  return moved;
}
