// PDFs whose encryption covers only their embedded files. PDF 1.6 lets a file encrypt its attachments alone:
// the Encrypt dictionary's /EFF names a real crypt filter while /StmF and /StrF are /Identity, so pages,
// strings and streams are plain and every reader shows them without a password. pdf.js still asks for the user
// password before it opens anything. Such a file is opened here without its Encrypt entry: the pages are read
// as the plain content they are, and the attachments (which we never read) stay encrypted.

const latin1 = new TextDecoder('latin1');

/** The Encrypt dictionary's text (for an indirect reference, its object's text up to `endobj`). */
function encryptDictionary(text: string): string | undefined {
  const refs = [...text.matchAll(/\/Encrypt\s+(\d+)\s+(\d+)\s+R/g)];
  const ref = refs.at(-1);
  if (ref !== undefined) {
    const objectStart = new RegExp(`(?:^|[^0-9])${ref[1]}\\s+${ref[2]}\\s+obj\\b`).exec(text);
    if (objectStart === null) return undefined;
    const end = text.indexOf('endobj', objectStart.index);
    return end < 0 ? undefined : text.slice(objectStart.index, end);
  }
  const direct = text.lastIndexOf('/Encrypt');
  return direct < 0 ? undefined : text.slice(direct, direct + 2000);
}

/**
 * The same bytes with the trailer's `/Encrypt` key renamed (same length, so every offset stays valid) when the
 * encryption covers only embedded files; undefined when it covers content (a password is really needed).
 */
export function openAttachmentOnlyEncryption(data: Uint8Array): Uint8Array | undefined {
  const text = latin1.decode(data);
  const dict = encryptDictionary(text);
  if (dict === undefined) return undefined;
  const identity = (key: string): boolean => new RegExp(`/${key}\\s*/Identity\\b`).test(dict);
  const attachmentsOnly = identity('StmF') && identity('StrF') && /\/EFF\s*\/(?!Identity\b)\w+/.test(dict);
  if (!attachmentsOnly) return undefined;
  const patched = new Uint8Array(data);
  const key = /\/Encrypt(?=\s+\d+\s+\d+\s+R|\s*<<)/g;
  let found = false;
  for (const match of text.matchAll(key)) {
    // "/Encrypt" -> "/Encrypx": an unknown key every reader ignores.
    patched[(match.index ?? 0) + 7] = 0x78;
    found = true;
  }
  return found ? patched : undefined;
}
