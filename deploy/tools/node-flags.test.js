'use strict';
// The image's node flags (the old-space bound and the heap's growing factor: docs/operations.md)
// are written wherever the service starts: every copy must say the same as the Dockerfile's CMD,
// or the tests, the bench and the manifests would measure or run another process than the image.
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { test } = require('node:test');
const YAML = require('yaml');

const ROOT = join(__dirname, '..', '..');
const read = (path) => readFileSync(join(ROOT, path), 'utf8');

/** The Dockerfile's CMD: `node`, its flags, the entry point. */
function imageCommand() {
  const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'));
  assert.ok(cmd, 'the Dockerfile has an exec-form CMD');
  return JSON.parse(cmd[1]);
}

const flags = () => imageCommand().slice(1, -1);
const manifestCommand = (file) =>
  YAML.parse(read(join('deploy', 'k8s', file))).spec.template.spec.containers[0].command;

test('the image starts node with flags, then dist/src/main.js', () => {
  const command = imageCommand();
  assert.equal(command[0], 'node');
  assert.equal(command.at(-1), 'dist/src/main.js');
  assert.ok(flags().includes('--max-old-space-size=160'));
});

test('the manifests run the API and the worker with the same flags', () => {
  assert.deepEqual(manifestCommand('api-deployment.yaml'), imageCommand());
  assert.deepEqual(manifestCommand('worker-deployment.yaml'), [
    'node',
    ...flags(),
    'dist/src/worker.js',
  ]);
});

/** Text without whitespace or trailing commas: wrapping and formatting do not matter. */
const compact = (text) => text.replace(/\s+/g, '').replace(/,([\])])/g, '$1');
const holds = (path, expected) =>
  assert.ok(compact(read(path)).includes(compact(expected)), `${path} runs ${expected}`);

test('npm start, start:prod and worker, and the CI smoke run use the same flags', () => {
  const { scripts } = JSON.parse(read('package.json'));
  const line = (entry) => ['node', ...flags(), entry].join(' ');
  assert.ok(scripts.start.endsWith(`&& ${line('dist/src/main.js')}`), scripts.start);
  assert.equal(scripts['start:prod'], line('dist/src/main.js'));
  assert.equal(scripts.worker, line('dist/src/worker.js'));
  holds('.ci/container-smoke.sh', line('dist/src/main.js'));
});

test("the tests' and the sizing tool's processes start with the same flags", () => {
  const quoted = flags().map((flag) => `'${flag}'`);
  const args = (entry) => `[${[...quoted, entry].join(', ')}]`;
  holds('test/support/service-process.ts', `build: ${args("'dist/src/main.js'")}`);
  holds('test/support/service-process.ts', `worker: ${args("'dist/src/worker.js'")}`);
  holds('deploy/tools/measure-rss.js', `spawn('node', ${args('`dist/src/${script}`')}`);
});

test('the operations guide shows the same commands', () => {
  const line = (entry) => ['node', ...flags(), entry].join(' ');
  holds('docs/operations.md', line('dist/src/main.js'));
  holds('docs/operations.md', line('dist/src/worker.js'));
  const quoted = flags().map((flag) => `'${flag}'`);
  holds('docs/operations.md', `command: ['node', ${quoted.join(', ')}, 'dist/src/worker.js']`);
  holds('docs/deploy.md', flags().join(' '));
});
