// Reading the XML parts of Office Open XML and EPUB packages through the zip guard and the bounded XML parser:
// every part is streamed (never inflated whole before it is checked) and parsed by SAX handlers, so a bomb in any
// part ends as RESOURCE_LIMIT_EXCEEDED before anything large is allocated.
import { posix } from 'node:path';
import { AegisError } from '@aegis/core';
import type { Handler } from 'htmlparser2';
import { createBoundedXmlParser, type XmlLimits } from './xml-bounds.ts';
import type { GuardedZip } from './zip-guard.ts';

/** A shared element and text budget for all parts of one document (the rest of it goes to the next part). */
export interface XmlBudget {
  elements: number;
  textChars: number;
}

/** Streams one part through SAX handlers within the document's budget. */
export async function parsePart(
  zip: GuardedZip,
  name: string,
  budget: XmlBudget,
  handlers: Partial<Handler>,
): Promise<void> {
  const limits: Partial<XmlLimits> = { maxElements: budget.elements, maxTextChars: budget.textChars };
  const xml = createBoundedXmlParser(name, limits, handlers);
  await zip.stream(name, (chunk) => xml.write(chunk));
  xml.end();
  budget.elements -= xml.elements;
  budget.textChars -= xml.textChars;
}

/** Local name of a qualified XML name (`p:sp` -> `sp`). */
export function local(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Relationship id -> target part path (resolved against the source part's folder), from a `.rels` part. */
export async function readRelationships(
  zip: GuardedZip,
  sourcePart: string,
  budget: XmlBudget,
): Promise<Map<string, string>> {
  const dir = posix.dirname(sourcePart);
  const relsPart = posix.join(dir, '_rels', `${posix.basename(sourcePart)}.rels`);
  const targets = new Map<string, string>();
  if (!zip.has(relsPart)) return targets;
  await parsePart(zip, relsPart, budget, {
    onopentag(name, attributes) {
      if (local(name) !== 'Relationship' || attributes.TargetMode === 'External') return;
      const id = attributes.Id;
      const target = attributes.Target;
      if (id === undefined || target === undefined) return;
      targets.set(id, target.startsWith('/') ? target.slice(1) : posix.normalize(posix.join(dir, target)));
    },
  });
  return targets;
}

/** A required part is missing: not the document it claims to be. */
export function missingPart(label: string, part: string): AegisError {
  return new AegisError('UNSUPPORTED_TYPE', `The ${label} has no ${part}. Re-save it and upload again.`, {
    details: { part },
  });
}
