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
/** The command line that starts `entry` as the image would. */
const commandLine = (entry) => ['node', ...flags(), entry].join(' ');
/** The flags as a JavaScript array's items: `'--a', '--b'`. */
const quotedFlags = () =>
  flags()
    .map((flag) => `'${flag}'`)
    .join(', ');
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
  assert.ok(scripts.start.endsWith(`&& ${commandLine('dist/src/main.js')}`), scripts.start);
  assert.equal(scripts['start:prod'], commandLine('dist/src/main.js'));
  assert.equal(scripts.worker, commandLine('dist/src/worker.js'));
  holds('.ci/container-smoke.sh', commandLine('dist/src/main.js'));
});

test("the tests' and the sizing tool's processes start with the same flags", () => {
  const processes = 'test/support/service-process.ts';
  holds(processes, `const IMAGE_NODE_FLAGS = [${quotedFlags()}];`);
  holds(processes, "build: [...IMAGE_NODE_FLAGS, 'dist/src/main.js']");
  holds(processes, "worker: [...IMAGE_NODE_FLAGS, 'dist/src/worker.js']");
  holds('deploy/tools/measure-rss.js', `spawn('node', [${quotedFlags()}, \`dist/src/\${script}\`]`);
});

test('the operations guide shows the same commands', () => {
  holds('docs/operations.md', commandLine('dist/src/main.js'));
  holds('docs/operations.md', commandLine('dist/src/worker.js'));
  holds('docs/operations.md', `command: ['node', ${quotedFlags()}, 'dist/src/worker.js']`);
  holds('docs/deploy.md', flags().join(' '));
});
