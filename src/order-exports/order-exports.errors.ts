/**
 * What the owner sees of an export whose job failed for good. The cause (a database error, say)
 * stays in the service's log: it would tell a client nothing it could act on.
 */
export const EXPORT_FAILED = {
  code: 'export_failed',
  detail: 'The export could not be written after several attempts; request a new export.',
};
