import { type DocumentStatus, formatDuration, formatUsd } from '@aegis/client';

/** `aegis status <document>` for people: one line per version, one per stage, then warnings. */
export function printStatus(status: DocumentStatus): void {
  console.log(`${status.displayName}  ${status.documentId}`);
  console.log(`  active version ${status.activeVersion ?? '-'}, cost ${formatUsd(status.costUsd)}`);
  for (const version of status.versions) {
    console.log(
      `  v${version.version} ${version.status} ${Math.round(version.progress * 100)}%${version.errorCode ? ` ${version.errorCode}: ${version.errorMessage}` : ''}`,
    );
    for (const stage of version.stages) {
      const items = stage.itemsTotal ? ` ${stage.itemsDone}/${stage.itemsTotal}` : '';
      const took = stage.durationMs === null ? '' : ` ${formatDuration(stage.durationMs)}`;
      const attempts = stage.attempts > 1 ? ` (${stage.attempts} attempts)` : '';
      console.log(
        `    ${stage.stage.padEnd(14)} ${stage.status}${items}${took}${attempts}${stage.errorCode ? ` ${stage.errorCode}` : ''}`,
      );
    }
    const { imagesNotDescribed = 0, chunksWithoutGraph = 0 } = version.missing ?? {};
    if (imagesNotDescribed > 0 || chunksWithoutGraph > 0)
      console.log(
        `    missing: ${imagesNotDescribed} image(s) not described, ${chunksWithoutGraph} chunk(s) without graph; ` +
          `\`aegis retry ${status.documentId} --stage ${imagesNotDescribed > 0 ? 'enrich-images' : 'graph'}\` fills them in`,
      );
    for (const warning of version.warnings) console.log(`    ! ${warning}`);
  }
}
