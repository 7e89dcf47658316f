/** An entity found by the simulated extraction model. */
export interface ExtractedEntity {
  name: string;
  /** `PERSON` | `ORGANIZATION` | `LOCATION` | `CONCEPT`. */
  type: string;
  /** The (trimmed) sentence the entity first appears in. */
  description: string;
}

/** A co-occurrence of two entities in one sentence. */
export interface ExtractedRelation {
  source: string;
  target: string;
  type: 'RELATED_TO';
  /** The sentence both entities appear in. */
  description: string;
}

/** The JSON document the simulator returns in JSON mode. */
export interface ExtractedGraph {
  entities: ExtractedEntity[];
  relations: ExtractedRelation[];
}

/** Capitalised words that are sentence starters or prompt vocabulary, never entity names. */
const STOPWORDS = new Set(
  (
    'a an the this that these those in on at it its he she they we i you our their his her but and or if ' +
    'when while after before for from with as by to of then there here also however although because since ' +
    'each every some many most all no not yes what which who why how where today yesterday tomorrow ' +
    'extract return output input text json respond given use only please format entities entity relations ' +
    'relation schema answer identify list find describe summarize summarise'
  ).split(' '),
);
const TITLES = new Set(['Dr', 'Mr', 'Mrs', 'Ms', 'Prof', 'Sir', 'Dame']);
const COMPANY_ABBREVIATIONS = new Set(['Inc', 'Corp', 'Ltd', 'Co', 'Jr', 'Sr', 'St']);
const ORGANIZATION_SUFFIXES = new Set([
  'Inc',
  'Corp',
  'Corporation',
  'Ltd',
  'LLC',
  'GmbH',
  'AG',
  'Co',
  'Company',
  'University',
  'Institute',
  'College',
  'Foundation',
  'Bank',
  'Group',
  'Labs',
  'Laboratories',
  'Agency',
  'Association',
  'Society',
  'Ministry',
  'Council',
  'Committee',
  'School',
  'Hospital',
]);
const ORGANIZATION_PREFIXES = new Set(['University', 'Bank', 'Institute', 'Ministry']);
/** Lowercase words allowed inside a name between two capitalised words ("University of Oxford"). */
const CONNECTORS = new Set(['of', '&']);
const LOCATION_CUES = new Set(['in', 'near']);

/** Splits on sentence punctuation and newlines, keeping "Dr. Smith" and "Acme Inc. in ..." together. */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const line of text.split(/\n+/)) {
    let current = '';
    for (const piece of line.split(/(?<=[.!?])\s+/)) {
      if (current === '') {
        current = piece;
        continue;
      }
      const lastWord = (/(\S+)\.$/.exec(current)?.[1] ?? '').replace(/^\W+/, '');
      const keepTogether =
        TITLES.has(lastWord) || (COMPANY_ABBREVIATIONS.has(lastWord) && /^\p{Ll}/u.test(piece));
      if (keepTogether) {
        current = `${current} ${piece}`;
      } else {
        sentences.push(current);
        current = piece;
      }
    }
    sentences.push(current);
  }
  return sentences.map((sentence) => sentence.trim()).filter((sentence) => sentence.length > 0);
}

interface Word {
  core: string;
  capitalised: boolean;
  connector: boolean;
  breakBefore: boolean;
  breakAfter: boolean;
}

function toWord(raw: string): Word {
  const core = raw
    .replace(/^[^\p{L}\p{N}&]+/u, '')
    .replace(/[^\p{L}\p{N}&]+$/u, '')
    .replace(/['’]s$/u, '');
  const trailing = /[^\p{L}\p{N}]+$/u.exec(raw)?.[0] ?? '';
  // "Dr." keeps a name running; any other trailing punctuation ends it.
  const breakAfter = trailing !== '' && !(trailing === '.' && TITLES.has(core));
  return {
    core,
    capitalised: /^\p{Lu}/u.test(core),
    connector: CONNECTORS.has(core),
    breakBefore: /^[^\p{L}\p{N}&]/u.test(raw),
    breakAfter,
  };
}

function classify(words: readonly string[], hadTitle: boolean, previous: string | undefined): string {
  const first = words[0] ?? '';
  const last = words[words.length - 1] ?? '';
  if (ORGANIZATION_SUFFIXES.has(last) || ORGANIZATION_PREFIXES.has(first)) return 'ORGANIZATION';
  if (hadTitle) return 'PERSON';
  if (words.length === 2 && !words.some((word) => CONNECTORS.has(word))) return 'PERSON';
  if (previous !== undefined && LOCATION_CUES.has(previous.toLowerCase())) return 'LOCATION';
  return 'CONCEPT';
}

interface Mention {
  name: string;
  type: string;
}

function mentionsIn(sentence: string): Mention[] {
  const words = sentence.split(/\s+/).filter(Boolean).map(toWord);
  const mentions: Mention[] = [];
  let run: string[] = [];
  let runStart = 0;

  const flush = (endIndex: number): void => {
    while (run.length > 0 && CONNECTORS.has(run[run.length - 1] ?? '')) run.pop();
    let start = runStart;
    let hadTitle = false;
    while (run.length > 0) {
      const head = run[0] ?? '';
      if (STOPWORDS.has(head.toLowerCase())) {
        run.shift();
        start++;
      } else if (TITLES.has(head) && run.length > 1) {
        run.shift();
        start++;
        hadTitle = true;
      } else break;
    }
    const name = run.join(' ');
    if (name.length > 1) {
      mentions.push({ name, type: classify(run, hadTitle, words[start - 1]?.core) });
    }
    run = [];
    runStart = endIndex;
  };

  words.forEach((word, index) => {
    if (word.capitalised) {
      if (word.breakBefore && run.length > 0) flush(index);
      if (run.length === 0) runStart = index;
      run.push(word.core);
    } else if (word.connector && run.length > 0 && !word.breakBefore && words[index + 1]?.capitalised) {
      run.push(word.core);
    } else {
      flush(index + 1);
    }
    if (word.breakAfter && run.length > 0) flush(index + 1);
  });
  flush(words.length);
  return mentions;
}

/**
 * Heuristic entity/relation extraction: consecutive Capitalised Words form one entity, typed by simple
 * cues; entities in the same sentence are related (`RELATED_TO`). Ordering is by first appearance.
 */
export function extractGraph(text: string): ExtractedGraph {
  const entities: ExtractedEntity[] = [];
  const relations: ExtractedRelation[] = [];
  const seenEntities = new Set<string>();
  const seenPairs = new Set<string>();
  for (const sentence of splitSentences(text)) {
    const names: string[] = [];
    for (const mention of mentionsIn(sentence)) {
      const key = mention.name.toLowerCase();
      if (!seenEntities.has(key)) {
        seenEntities.add(key);
        entities.push({ name: mention.name, type: mention.type, description: sentence });
      }
      if (!names.includes(mention.name)) names.push(mention.name);
    }
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const source = names[i] ?? '';
        const target = names[j] ?? '';
        const pair = [source.toLowerCase(), target.toLowerCase()].sort().join('\u0000');
        if (seenPairs.has(pair)) continue;
        seenPairs.add(pair);
        relations.push({ source, target, type: 'RELATED_TO', description: sentence });
      }
    }
  }
  return { entities, relations };
}
