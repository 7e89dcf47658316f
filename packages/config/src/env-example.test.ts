import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeEnv, envKeys } from './describe-env.ts';
import { renderEnvExample } from './render-env-example.ts';

const committed = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');

/** Every `KEY=` line counts, commented out or not. */
function documentedKeys(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

describe('.env.example', () => {
  it('documents every schema key', () => {
    const documented = new Set(documentedKeys(committed));
    expect(envKeys().filter((key) => !documented.has(key))).toEqual([]);
  });

  it('documents nothing the schema does not read, and each key once', () => {
    const keys = new Set(envKeys());
    const documented = documentedKeys(committed);
    expect(documented.filter((key) => !keys.has(key))).toEqual([]);
    expect(documented).toHaveLength(new Set(documented).size);
  });

  it('leaves every secret blank', () => {
    for (const { key } of describeEnv().filter((d) => d.secret)) {
      expect(committed, key).toMatch(new RegExp(`^${key}=$`, 'm'));
    }
  });

  it('matches the generator output (run `node packages/config/src/bin/render-env-example.ts > .env.example`)', () => {
    expect(committed).toBe(renderEnvExample());
  });
});
