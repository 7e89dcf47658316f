import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { secretWeaknesses } from '@aegis/config';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './promql.ts';

// A line that names a secret: its literals are what someone might copy into a production .env.
const SECRET_CONTEXT = /pepper|secret|token|password|passwd|api[_-]?key|apikey|credential/i;
// Quoted literals and KEY=value / key: value right-hand sides without spaces.
const LITERALS = [/'([^'\s]{12,})'/g, /"([^"\s]{12,})"/g, /`([^`\s]{12,})`/g, /[=:]\s*([^\s'"`,;)}{]{12,})/g];

/** Secret-looking literals of one file's text: in a secret context, no template holes, no paths or URLs. */
export function secretCandidates(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    if (!SECRET_CONTEXT.test(line)) continue;
    for (const pattern of LITERALS)
      for (const match of line.matchAll(pattern)) {
        const value = match[1] ?? '';
        if (value.includes('${') || value.includes('://') || value.startsWith('/') || value.startsWith('.'))
          continue;
        // Secret-shaped: the characters generators and people use, letters and at least two digits (identifiers
        // such as NEO4J_PASSWORD or config.api.apiKeyPepper have fewer), not a module path.
        if (!/^[A-Za-z0-9_+/=.~!#%-]+$/.test(value) || !/[A-Za-z]/.test(value)) continue;
        if ((value.match(/\d/g) ?? []).length < 2 || /[a-z]{4,}\/[a-z]{4,}/.test(value)) continue;
        found.add(value);
      }
  }
  return [...found];
}

function trackedTextFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return listed
    .split('\0')
    .filter(
      (file) => file !== '' && !/package-lock\.json$|\.(png|pdf|jpe?g|ico)$|^bench\/results\//.test(file),
    );
}

describe('secrets published in this repository', () => {
  it('finds a strong-looking literal next to a secret name (the scan can fail)', () => {
    const strong = randomBytes(24).toString('hex');
    const candidates = secretCandidates(`const SESSION_SECRET = '${strong}';`);
    expect(candidates).toEqual([strong]);
    expect(secretWeaknesses(strong, 32)).toEqual([]);
  });

  it('are all refused in production: every literal that would pass the strength checks is a listed published value', () => {
    const usable: string[] = [];
    for (const file of trackedTextFiles()) {
      let text: string;
      try {
        text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      } catch {
        continue;
      }
      for (const value of secretCandidates(text))
        if (secretWeaknesses(value, 12).length === 0) usable.push(`${file}: ${value}`);
    }
    // Add each one to PUBLISHED_SECRET_VALUES (packages/config), or generate it at run time instead.
    expect(usable).toEqual([]);
  });
});
