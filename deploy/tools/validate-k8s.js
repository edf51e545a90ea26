#!/usr/bin/env node
'use strict';
// Validates a kustomization folder (default deploy/k8s) offline: every document of every manifest
// against the Kubernetes API schema (k8s-schema.js), the kustomization listing exactly the
// manifests in the folder, and the references between objects that the schema cannot see
// (selectors that match their pods, the Deployment an HPA scales, the ConfigMaps pods read).
//
//   node tools/validate-k8s.js [folder]     exit 1 and one line per problem when anything is wrong
const { readdirSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const YAML = require('yaml');
const { validateObject } = require('./k8s-schema');

const KUSTOMIZATION = 'kustomization.yaml';
const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'resources',
  'images',
  'configMapGenerator',
  'secretGenerator',
  'patches',
  'replicas',
  'namePrefix',
  'nameSuffix',
]);

/** The documents of one YAML file, or its parse errors. */
function parseFile(path) {
  const documents = YAML.parseAllDocuments(readFileSync(path, 'utf8'), { uniqueKeys: true });
  const errors = documents.flatMap((document) => document.errors.map((error) => error.message));
  return {
    objects: errors.length ? [] : documents.map((d) => d.toJS()).filter((o) => o !== null),
    errors,
  };
}

function checkKustomization(kustomization, manifests) {
  const errors = [];
  for (const key of Object.keys(kustomization ?? {}))
    if (!KUSTOMIZATION_FIELDS.has(key)) errors.push(`${KUSTOMIZATION}: /${key}: unknown field`);
  if (kustomization?.kind !== 'Kustomization')
    errors.push(`${KUSTOMIZATION}: kind is not Kustomization`);
  const listed = kustomization?.resources ?? [];
  for (const file of manifests)
    if (!listed.includes(file)) errors.push(`${KUSTOMIZATION}: does not list ${file}`);
  for (const file of listed)
    if (!manifests.includes(file))
      errors.push(`${KUSTOMIZATION}: lists ${file}, which is not in the folder`);
  if (new Set(listed).size !== listed.length) errors.push(`${KUSTOMIZATION}: lists a file twice`);
  return errors;
}

const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);

/** References the schema cannot check, across all objects of the folder. */
function checkReferences(objects) {
  const errors = [];
  const named = (kind, name) => objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const podTemplates = objects.filter((o) => o.spec?.template?.spec).map((o) => o.spec.template);
  const where = (o) => `${o.kind}/${o.metadata?.name}`;
  for (const o of objects) {
    const selector =
      o.spec?.selector?.matchLabels ?? (o.kind === 'Service' ? o.spec?.selector : null);
    if (o.spec?.template && selector && !matches(selector, o.spec.template.metadata?.labels))
      errors.push(`${where(o)}: the selector does not match the pod template's labels`);
    if (
      ['Service', 'PodDisruptionBudget'].includes(o.kind) &&
      selector &&
      !podTemplates.some((t) => matches(selector, t.metadata?.labels))
    )
      errors.push(`${where(o)}: the selector matches no pod template in the folder`);
    const target = o.kind === 'HorizontalPodAutoscaler' ? o.spec?.scaleTargetRef : null;
    const scaled = target && named(target.kind, target.name);
    if (target && !scaled)
      errors.push(`${where(o)}: scales ${target.kind}/${target.name}, which is not in the folder`);
    // `kubectl apply` of a count the autoscaler owns would reset it on every release.
    if (scaled && scaled.spec?.replicas !== undefined)
      errors.push(`${where(o)}: scales ${target.kind}/${target.name}, which sets spec.replicas`);
    for (const c of o.spec?.template?.spec?.containers ?? [])
      for (const { configMapRef } of c.envFrom ?? [])
        if (configMapRef && !named('ConfigMap', configMapRef.name))
          errors.push(
            `${where(o)}: reads ConfigMap ${configMapRef.name}, which is not in the folder`,
          );
  }
  return errors;
}

/** Every problem in the folder, as one line each. */
function validateFolder(folder) {
  const files = readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const manifests = files.filter((f) => f !== KUSTOMIZATION);
  const errors = [];
  const objects = [];
  let kustomization = null;
  for (const file of files) {
    const parsed = parseFile(join(folder, file));
    errors.push(...parsed.errors.map((e) => `${file}: ${e}`));
    if (file === KUSTOMIZATION) {
      kustomization = parsed.objects[0] ?? null;
      continue;
    }
    for (const object of parsed.objects) {
      objects.push(object);
      const name = `${file}: ${object?.kind}/${object?.metadata?.name}`;
      errors.push(...validateObject(object).map((e) => `${name}: ${e}`));
    }
  }
  if (!files.includes(KUSTOMIZATION)) errors.push(`no ${KUSTOMIZATION}`);
  else errors.push(...checkKustomization(kustomization, manifests));
  errors.push(...checkReferences(objects));
  return { errors, objects: objects.length, files: files.length };
}

if (require.main === module) {
  const folder = resolve(process.argv[2] ?? join(__dirname, '..', 'k8s'));
  const { errors, objects, files } = validateFolder(folder);
  for (const error of errors) console.error(`k8s: ${error}`);
  console.log(`k8s: ${files} files, ${objects} objects, ${errors.length} problem(s)`);
  process.exit(errors.length ? 1 : 0);
}

module.exports = { validateFolder };
