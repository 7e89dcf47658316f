import { AegisError } from '@aegis/core';
import { type Handler, Parser } from 'htmlparser2';

/** Bounds of one XML document (an archive part). */
export interface XmlLimits {
  /** Elements open at once. Default 256. */
  maxDepth: number;
  /** Elements in the document. Default 1,000,000. */
  maxElements: number;
  /** Characters of text, attribute values and comments together. Default 64 Mi. */
  maxTextChars: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 256,
  maxElements: 1_000_000,
  maxTextChars: 64 * 1024 * 1024,
});

/** A streaming XML parser that stops at the first bound crossed. */
export interface BoundedXmlParser {
  /** Feeds the next bytes (UTF-8, split anywhere) or text. */
  write(chunk: Uint8Array | string): void;
  /** Ends the document; the handlers' `onend` runs. */
  end(): void;
  /** Elements seen so far. */
  readonly elements: number;
  /** Characters of text, attribute values and comments seen so far. */
  readonly textChars: number;
}

/**
 * A SAX parser (htmlparser2 in XML mode: streaming, never builds a tree) that counts depth, elements and text
 * as it goes and throws `RESOURCE_LIMIT_EXCEEDED` at the first bound crossed, so a deep or huge part is
 * refused after reading at most one chunk past the bound. Archive formats run each part through it, either
 * as their parser (pass `handlers`) or as a check before a tree-building library sees the part. A DOCTYPE is
 * refused (`UNSUPPORTED_TYPE`): Office and EPUB parts never have one, and entity definitions are how XML
 * bombs (billion laughs) expand.
 *
 * `label` names the part in messages (`word/document.xml`).
 */
export function createBoundedXmlParser(
  label: string,
  limits: Partial<XmlLimits> = {},
  handlers: Partial<Handler> = {},
): BoundedXmlParser {
  const bounds: XmlLimits = { ...DEFAULT_XML_LIMITS, ...limits };
  let depth = 0;
  let elements = 0;
  let chars = 0;
  const refuse = (what: string, limit: number, details: Record<string, unknown>): never => {
    throw new AegisError(
      'RESOURCE_LIMIT_EXCEEDED',
      `The XML part ${label} was refused: ${what}, over the limit of ${limit} (a crafted or far too large document).`,
      { details: { part: label, ...details } },
    );
  };
  const countText = (length: number): void => {
    chars += length;
    if (chars > bounds.maxTextChars)
      refuse(`more than ${bounds.maxTextChars} characters of text`, bounds.maxTextChars, { chars });
  };
  const parser = new Parser(
    {
      ...handlers,
      onopentagname(name) {
        depth++;
        elements++;
        if (depth > bounds.maxDepth) refuse(`elements nested ${depth} deep`, bounds.maxDepth, { depth });
        if (elements > bounds.maxElements)
          refuse(`more than ${bounds.maxElements} elements`, bounds.maxElements, { elements });
        handlers.onopentagname?.(name);
      },
      onattribute(name, value, quote) {
        countText(name.length + value.length);
        handlers.onattribute?.(name, value, quote);
      },
      onclosetag(name, isImplied) {
        depth = Math.max(0, depth - 1);
        handlers.onclosetag?.(name, isImplied);
      },
      ontext(text) {
        countText(text.length);
        handlers.ontext?.(text);
      },
      oncomment(text) {
        countText(text.length);
        handlers.oncomment?.(text);
      },
      onprocessinginstruction(name, data) {
        if (name.toLowerCase() === '!doctype') {
          throw new AegisError(
            'UNSUPPORTED_TYPE',
            `The XML part ${label} declares a DOCTYPE, which these documents never have (entity definitions can expand into a bomb).`,
            { details: { part: label } },
          );
        }
        handlers.onprocessinginstruction?.(name, data);
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  const decoder = new TextDecoder('utf-8');
  return {
    write(chunk) {
      parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      parser.write(decoder.decode());
      parser.end();
    },
    get elements() {
      return elements;
    },
    get textChars() {
      return chars;
    },
  };
}
