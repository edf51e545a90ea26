'use strict';
// The validator's self-test: the real folder passes, and copies of it with one deliberate mistake
// each fail with a line that names the mistake.
const assert = require('node:assert/strict');
const { join } = require('node:path');
const { test } = require('node:test');
const { validateFolder } = require('./validate-k8s');
const { checkEditedCopy, expectProblem } = require('./test-helpers');

const K8S = join(__dirname, '..', 'k8s');

/** validateFolder's problems on a copy of deploy/k8s where `file`'s text went through `edit`. */
const withEdit = (file, edit) =>
  checkEditedCopy(
    { k8s: K8S },
    join('k8s', file),
    edit,
    (folder) => validateFolder(join(folder, 'k8s')).errors,
  );

test('deploy/k8s is valid', () => {
  const { errors, objects } = validateFolder(K8S);
  assert.deepEqual(errors, []);
  assert.ok(objects >= 15);
});

test('a misspelt top-level field is caught: replica: 2', () => {
  expectProblem(
    withEdit('worker-deployment.yaml', (t) => t.replace('  replicas: 2', '  replica: 2')),
    /worker-deployment\.yaml: Deployment\/order-service-worker: \/spec\/replica: unknown field/,
  );
});

test('a Deployment its autoscaler scales sets no replicas (each release would reset them)', () => {
  expectProblem(
    withEdit('api-deployment.yaml', (t) =>
      t.replace('  revisionHistoryLimit: 5', '  replicas: 3\n  revisionHistoryLimit: 5'),
    ),
    /HorizontalPodAutoscaler\/order-service-api: scales Deployment\/order-service-api, which sets spec\.replicas/,
  );
});

test('a misspelt field deep in the pod template is caught', () => {
  expectProblem(
    withEdit('api-deployment.yaml', (t) => t.replace('readinessProbe:', 'readinesProbe:')),
    /\/spec\/template\/spec\/containers\/0\/readinesProbe: unknown field/,
  );
  expectProblem(
    withEdit('worker-deployment.yaml', (t) => t.replace('sizeLimit: 512Mi', 'sizeLimt: 512Mi')),
    /\/volumes\/1\/emptyDir\/sizeLimt: unknown field/,
  );
});

test('a wrong type and a missing required field are caught', () => {
  expectProblem(
    withEdit('api-hpa.yaml', (t) => t.replace('minReplicas: 3', 'minReplicas: three')),
    /\/spec\/minReplicas: must be integer/,
  );
  expectProblem(
    withEdit('api-service.yaml', (t) =>
      t.replace('    - name: http\n      port: 80\n', '    - name: http\n'),
    ),
    /\/spec\/ports\/0: must have required property port/,
  );
});

test('an unknown kind or apiVersion is caught', () => {
  expectProblem(
    withEdit('api-hpa.yaml', (t) => t.replace('autoscaling/v2', 'autoscaling/v3')),
    /unknown apiVersion\/kind: autoscaling\/v3\/HorizontalPodAutoscaler/,
  );
});

test('maps (labels, ConfigMap data) accept any key', () => {
  const errors = withEdit('configmap.yaml', (t) =>
    t.replace('  NODE_ENV: production', '  NODE_ENV: production\n  ANY_NAME: x'),
  );
  assert.deepEqual(errors, []);
});

test('the kustomization must list every manifest, and only those', () => {
  expectProblem(
    withEdit('kustomization.yaml', (t) => t.replace('  - pdb.yaml\n', '')),
    /kustomization\.yaml: does not list pdb\.yaml/,
  );
  expectProblem(
    withEdit('kustomization.yaml', (t) => t.replace('  - pdb.yaml\n', '  - pdbs.yaml\n')),
    /lists pdbs\.yaml, which is not in the folder/,
  );
});

test('references the schema cannot see are checked', () => {
  expectProblem(
    withEdit('api-service.yaml', (t) =>
      t.replace('component: api\n  ports', 'component: apj\n  ports'),
    ),
    /Service\/order-service-api: the selector matches no pod template/,
  );
  expectProblem(
    withEdit('api-hpa.yaml', (t) =>
      t.replace(
        '    name: order-service-api\n  minReplicas',
        '    name: order-service\n  minReplicas',
      ),
    ),
    /scales Deployment\/order-service, which is not in the folder/,
  );
});

test('invalid YAML is caught', () => {
  expectProblem(
    withEdit('pdb.yaml', (t) => t.replace('minAvailable: 2', 'minAvailable: 2\n  minAvailable: 3')),
    /pdb\.yaml: .*unique/i,
  );
});
