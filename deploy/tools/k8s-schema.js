'use strict';
// One Kubernetes object against the API's OpenAPI schema, offline: the kubernetes-models package
// (pinned in deploy/package-lock.json) ships the schemas compiled to validators. Those check types,
// required fields and formats, but accept fields the schema does not know (`replica: 3`), as the
// OpenAPI document allows them. So the object is validated through a proxy that records which
// fields the validator read: in an object whose keys it never listed (a map such as `labels`
// lists them), a field it did not read is not in the schema, and is reported.

/** The model class for `apiVersion` and `kind`, or null when the package has none. */
function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind))
    return null;
  try {
    return require(`kubernetes-models/${apiVersion}/${kind}`)[kind] ?? null;
  } catch {
    return null;
  }
}

/** Wraps `value` so that reads and key listings of every nested object are recorded in `seen`. */
function recording(value, path, seen) {
  if (value === null || typeof value !== 'object') return value;
  const record = { value, path, read: new Set(), listed: false };
  seen.push(record);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      record.read.add(key);
      if (!children.has(key)) children.set(key, recording(child, `${path}/${key}`, seen));
      return children.get(key);
    },
    ownKeys(target) {
      record.listed = true;
      return Reflect.ownKeys(target);
    },
  });
}

/** Every problem of one parsed document, as `path: message` strings (none: valid). */
function validateObject(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object))
    return ['the document is not a mapping'];
  const Model = modelFor(object.apiVersion, object.kind);
  if (!Model) return [`unknown apiVersion/kind: ${object.apiVersion}/${object.kind}`];
  const seen = [];
  const errors = [];
  try {
    Model.prototype.validate.call(recording(object, '', seen));
  } catch (error) {
    const details = error.errors ?? [{ instancePath: '', message: error.message }];
    for (const { instancePath, message } of details)
      errors.push(`${instancePath || '/'}: ${message}`);
  }
  for (const { value, path, read, listed } of seen) {
    if (listed || Array.isArray(value)) continue;
    for (const key of Object.keys(value))
      if (!read.has(key)) errors.push(`${path}/${key}: unknown field`);
  }
  return errors;
}

module.exports = { validateObject };
