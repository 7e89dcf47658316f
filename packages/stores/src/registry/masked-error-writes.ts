import type { SecretMasker } from '@aegis/observability';
import type { DocumentRepository } from '@aegis/pipeline';

// Argument fields that carry failure text from errors, providers or parsers into Postgres.
const ERROR_TEXT_FIELD = /error|message|warning|reason/i;
const MAX_DEPTH = 4;

function maskFields(value: unknown, masker: SecretMasker, underErrorField: boolean, depth: number): unknown {
  if (typeof value === 'string') return underErrorField ? masker.excerpt(value) : value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => maskFields(item, masker, underErrorField, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      maskFields(child, masker, underErrorField || ERROR_TEXT_FIELD.test(key), depth + 1),
    ]),
  );
}

/**
 * The repository with every error text it writes masked and bounded (`masker.excerpt`): any argument field
 * named like error / message / warning / reason (`setStage(..., { errorMessage })`, `setVersionStatus`,
 * `updateImage`), and the string arguments of methods named like them (`addWarnings`). Applied to every method,
 * present and future, so a new write path cannot store a provider key or a connection URL verbatim.
 */
export function withMaskedErrorWrites(
  repository: DocumentRepository,
  masker: SecretMasker,
): DocumentRepository {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    if (typeof member !== 'function') {
      wrapped[name] = member;
      continue;
    }
    const errorMethod = ERROR_TEXT_FIELD.test(name);
    wrapped[name] = (...args: unknown[]) =>
      (member as (...inner: unknown[]) => unknown).apply(
        repository,
        args.map((arg) => maskFields(arg, masker, errorMethod, 0)),
      );
  }
  return wrapped as unknown as DocumentRepository;
}
