export {
  deepXmlBomb,
  lyingSizeBomb,
  manyElementsDocument,
  manyEntriesDocument,
  paragraphBomb,
  plainZipBomb,
  spacesBomb,
} from './archive-bombs.ts';
export type { DeflatedData, RepeatedPart } from './deflate-repeat.ts';
export { deflateRepeated } from './deflate-repeat.ts';
export type { HostileInput, HostileOutcome } from './hostile-catalog.ts';
export { HOSTILE_INPUTS, PLAIN_ZIP_BOMB } from './hostile-catalog.ts';
export { jpegDeclaring, largeImage, pngDeclaring } from './hostile-images.ts';
export { adler32Repeated, buildPdf, flateBombPdf, flateRepeated, imagePdf, textPdf } from './hostile-pdfs.ts';
export type { HostileCaseResult, HostileRunPorts } from './hostile-run.ts';
export { runHostileCase } from './hostile-run.ts';
export type { ArchiveFormat, MainPart } from './office-packages.ts';
export { ARCHIVE_FORMATS, archiveDocument, archiveLayout } from './office-packages.ts';
export type { ProcessPeak, ProcessTreeSampler, WindowPeaks } from './process-tree.ts';
export { childPids, sampleProcessTree } from './process-tree.ts';
export type { ZipEntrySpec } from './zip-writer.ts';
export { buildZip } from './zip-writer.ts';
