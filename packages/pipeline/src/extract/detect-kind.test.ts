import { isAegisError } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import { detectKind } from './detect-kind.ts';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isAegisError(error) ? error.code : 'not an AegisError';
  }
  return undefined;
}

describe('detectKind', () => {
  it('sniffs binary formats by magic bytes, whatever the name says', () => {
    expect(detectKind({ data: text('%PDF-1.7\n...'), filename: 'notes.txt' })).toBe('pdf');
    expect(detectKind({ data: bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0) })).toBe('image');
    expect(detectKind({ data: bytes(0xff, 0xd8, 0xff, 0xe0) })).toBe('image');
    expect(detectKind({ data: text('RIFF\0\0\0\0WEBPVP8 ') })).toBe('image');
    expect(detectKind({ data: bytes(0x49, 0x49, 0x2a, 0x00, 8) })).toBe('image');
    expect(detectKind({ data: bytes(0x4d, 0x4d, 0x00, 0x2a, 8) })).toBe('image');
  });

  it('recognises DOCX, XLSX, PPTX and EPUB by their main part and refuses other ZIPs', () => {
    const zip = (name: string): Uint8Array =>
      new Uint8Array([...text('PK\x03\x04'), ...new Uint8Array(26), ...text(name)]);
    expect(detectKind({ data: zip('word/document.xml') })).toBe('docx');
    expect(detectKind({ data: zip('xl/workbook.xml') })).toBe('xlsx');
    expect(detectKind({ data: zip('ppt/presentation.xml') })).toBe('pptx');
    expect(detectKind({ data: zip('META-INF/container.xml') })).toBe('epub');
    expect(codeOf(() => detectKind({ data: zip('content/other.xml') }))).toBe('UNSUPPORTED_TYPE');
  });

  it('needs an extension or media type for text, and valid UTF-8 without NUL', () => {
    expect(detectKind({ data: text('hello'), filename: 'a.TXT' })).toBe('text');
    expect(detectKind({ data: text('# hi'), filename: 'README.markdown' })).toBe('markdown');
    expect(detectKind({ data: text('<p>x</p>'), mimeType: 'text/html; charset=utf-8' })).toBe('html');
    expect(detectKind({ data: text('<p>x</p>'), filename: 'page.htm' })).toBe('html');
    expect(codeOf(() => detectKind({ data: text('hello') }))).toBe('UNSUPPORTED_TYPE');
    expect(codeOf(() => detectKind({ data: bytes(0x68, 0x00, 0x69), filename: 'a.txt' }))).toBe(
      'UNSUPPORTED_TYPE',
    );
    expect(codeOf(() => detectKind({ data: bytes(0xc3, 0x28), filename: 'a.txt' }))).toBe('UNSUPPORTED_TYPE');
  });

  it('names what it saw and what is supported', () => {
    try {
      detectKind({ data: bytes(0x7f, 0x45, 0x4c, 0x46), filename: 'tool.exe' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/first bytes 7f 45 4c 46/);
      expect((error as Error).message).toMatch(/Supported: PDF, DOCX/);
    }
  });
});
