type Problem = { code?: string; errors?: { field: string; message: string }[] } | undefined;

/**
 * 400s that a JSON Schema cannot express but the document states in words, so a request the
 * schemas accept may still get them. Each names the operation, the field and where it is stated.
 */
const STATED: { operation: RegExp; field: string; message?: RegExp; where: string }[] = [
  {
    operation: /^(POST|PUT) /,
    field: '.+',
    message: / must be well-formed Unicode$/,
    where: 'every 400: JSON bodies must be I-JSON (RFC 7493), no unpaired surrogates',
  },
  {
    operation: /^(POST|PUT) /,
    field: '',
    message: /^the body is not well-formed UTF-8$/,
    where: 'every 400: JSON bodies must be I-JSON (RFC 7493), in well-formed UTF-8',
  },
  {
    operation: /^GET \/api\/(orders|files|order-exports|events|events\/stream)$/,
    field: '(cursor|after)',
    where: 'the parameter: an opaque value the service issued (nextCursor), not any string',
  },
  {
    operation: /^(POST \/api\/order-exports|GET \/api\/orders)$/,
    field: '(createdFrom|createdTo)',
    where: 'createdTo: "not before createdFrom"; both: "in the years 0100 to 9999 ... in UTC"',
  },
  {
    operation: /^PUT \/api\/users\/\{id\}$/,
    field: 'password',
    where: 'the body: a password creates, and is refused when the user exists (the state decides)',
  },
];

export function isStatedRefusal(operation: string, problem: Problem): boolean {
  const errors = problem?.errors ?? [];
  return (
    problem?.code === 'validation_failed' &&
    errors.length > 0 &&
    errors.every(({ field, message }) =>
      STATED.some(
        (stated) =>
          stated.operation.test(operation) &&
          new RegExp(`^${stated.field}$`).test(field) &&
          (stated.message?.test(message) ?? true),
      ),
    )
  );
}
