import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { moveWithoutOverwrite } from './move-without-overwrite.ts';
import type { ErrorReport, Outcome } from './outcome.ts';

export const ERROR_REPORT_SUFFIX = '.error.json';

/**
 * Moves a finished file into `<inbox>/processed/` or `<inbox>/failed/`; a failed one gets
 * `<name>.error.json` beside it, under the same (possibly suffixed) name. Returns the new path.
 */
export async function fileAway(
  file: string,
  inboxDir: string,
  outcome: Outcome,
  report?: ErrorReport | undefined,
): Promise<string> {
  if (outcome === 'processed') return moveWithoutOverwrite(file, path.join(inboxDir, 'processed'));
  const target = await moveWithoutOverwrite(file, path.join(inboxDir, 'failed'), {
    companions: [ERROR_REPORT_SUFFIX],
  });
  if (report) {
    // `wx`: the companion name was checked free; never clobber a report another process wrote meanwhile.
    await writeFile(`${target}${ERROR_REPORT_SUFFIX}`, `${JSON.stringify(report, null, 2)}\n`, {
      flag: 'wx',
    });
  }
  return target;
}
