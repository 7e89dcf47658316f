import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AegisError, isAegisError } from '@aegis/core';
import type * as Pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { openAttachmentOnlyEncryption } from './attachment-encryption.ts';

/** The pdf.js legacy (Node) build's module namespace. */
export type PdfjsModule = typeof Pdfjs;
export type PdfDocumentProxy = Pdfjs.PDFDocumentProxy;
export type PdfPageProxy = Pdfjs.PDFPageProxy;
export type PdfViewport = Pdfjs.PageViewport;

/** pdf.js is ~1 MB of JavaScript; text, HTML and image inputs never need it, so it is imported on first use. */
export function loadPdfjs(): Promise<PdfjsModule> {
  return import('pdfjs-dist/legacy/build/pdf.mjs');
}

/** Folder of the installed pdfjs-dist, with a trailing slash as pdf.js requires for its data URLs. */
function pdfjsAssetDir(folder: string): string {
  const packageJson = createRequire(import.meta.url).resolve('pdfjs-dist/package.json');
  return `${join(dirname(packageJson), folder)}/`;
}

/**
 * Opens a PDF with the options that keep pdf.js safe and self-contained in Node: no eval (fonts are not
 * compiled to JS), no font faces or system fonts, an image pixel limit, and CMaps / standard fonts / wasm
 * decoders read from the package's own folders (Node's pdf.js reads these `…Url` options as file paths).
 *
 * @throws AegisError `PDF_ENCRYPTED` (a user password is needed) or `PDF_INVALID`.
 */
export async function openPdf(
  pdfjs: PdfjsModule,
  data: Uint8Array,
  options: { maxImagePixels: number; timeoutMs: number },
): Promise<PdfDocumentProxy> {
  try {
    return await openPdfOnce(pdfjs, data, options);
  } catch (error) {
    // Encryption of the attachments alone leaves the pages plain: open them without the Encrypt entry.
    if (!isAegisError(error, 'PDF_ENCRYPTED')) throw error;
    const plain = openAttachmentOnlyEncryption(data);
    if (plain === undefined) throw error;
    return openPdfOnce(pdfjs, plain, options);
  }
}

async function openPdfOnce(
  pdfjs: PdfjsModule,
  data: Uint8Array,
  options: { maxImagePixels: number; timeoutMs: number },
): Promise<PdfDocumentProxy> {
  let task: ReturnType<PdfjsModule['getDocument']>;
  try {
    task = pdfjs.getDocument({
      // A plain Uint8Array copy: pdf.js rejects Buffers and detaches what it is given.
      data: new Uint8Array(data),
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      maxImageSize: options.maxImagePixels,
      verbosity: 0,
      cMapUrl: pdfjsAssetDir('cmaps'),
      cMapPacked: true,
      standardFontDataUrl: pdfjsAssetDir('standard_fonts'),
      wasmUrl: pdfjsAssetDir('wasm'),
      iccUrl: pdfjsAssetDir('iccs'),
      // Ranges and streaming are for HTTP sources; everything is in memory here.
      disableAutoFetch: true,
      disableStream: true,
    });
  } catch (error) {
    throw toPdfError(error);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AegisError(
              'EXTRACTION_TIMEOUT',
              `Opening the PDF took longer than ${options.timeoutMs} ms.`,
              {
                details: { timeoutMs: options.timeoutMs },
              },
            ),
          ),
        options.timeoutMs,
      );
    });
    return await Promise.race([task.promise, timeout]);
  } catch (error) {
    await task.destroy().catch(() => undefined);
    throw toPdfError(error);
  } finally {
    clearTimeout(timer);
  }
}

/** Maps pdf.js exceptions (recognised by `name`, as not all classes are exported) to AegisError codes. */
export function toPdfError(error: unknown): AegisError {
  if (error instanceof AegisError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new AegisError(
      'PDF_ENCRYPTED',
      'The PDF is protected by a password. Remove the password (or export an unprotected copy) and upload again.',
      { cause: error },
    );
  }
  return new AegisError(
    'PDF_INVALID',
    `The file is not a readable PDF (${message}). Re-export or repair it (e.g. print to PDF) and upload again.`,
    { cause: error, details: { pdfjsError: typeof name === 'string' ? name : undefined } },
  );
}
