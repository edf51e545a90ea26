'use strict';
// What both self-tests do: run a check on a copy of the real files with one deliberate mistake.
const assert = require('node:assert/strict');
const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/**
 * `check(folder)` on a temporary copy of `sources` ({ name in the copy: real path }) in which
 * `file` (a path in the copy) went through `edit`; the copy is removed afterwards.
 */
function checkEditedCopy(sources, file, edit, check) {
  const folder = mkdtempSync(join(tmpdir(), 'deploy-check-'));
  try {
    for (const [name, path] of Object.entries(sources))
      cpSync(path, join(folder, name), { recursive: true });
    const target = join(folder, file);
    const before = readFileSync(target, 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, `the edit of ${file} changed nothing`);
    writeFileSync(target, after);
    return check(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Fails unless one of `errors` matches `pattern`. */
function expectProblem(errors, pattern) {
  assert.ok(
    errors.some((e) => pattern.test(e)),
    `expected ${pattern}, got:\n${errors.join('\n')}`,
  );
}

module.exports = { checkEditedCopy, expectProblem };
