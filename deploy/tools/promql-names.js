'use strict';
// The metric names a PromQL expression reads, and the metric names the service registers in src/.
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'and',
  'or',
  'unless',
  'bool',
  'inf',
  'nan',
]);

/** Metric names in `expr`: identifiers that are not functions, keywords, labels or durations. */
function metricNames(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' '); // offsets
  const names = new Set();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const [name, call] = [match[0], match[1]];
    const before = stripped[match.index - 1];
    if (call === '(' || KEYWORDS.has(name.toLowerCase()) || /[0-9.]/.test(before ?? '')) continue;
    names.add(name);
  }
  return [...names];
}

function sourceFiles(folder) {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry) && !/\.spec\.ts$/.test(entry) ? [path] : [];
  });
}

/**
 * The names the service registers with prom-client, in files that import it: `name: '...'`, or
 * the first argument of a helper called with a name and a help text (`gauge('db_pool_connections',
 * 'Connections ...', ...)`). A templated name (`jobs_${state}`) is returned as a pattern whose variable part must be one of
 * the file's string literals (`'queued'`). In other files, a name given with its help text
 * (`{ name: 'orders_gets_waiting', help: '...' }`): taken on trust that a helper elsewhere
 * registers it (the shape is a metric's; nothing here follows the object to the helper).
 */
function serviceMetrics(srcFolder) {
  const exact = new Set();
  const patterns = [];
  for (const file of sourceFiles(srcFolder)) {
    const text = readFileSync(file, 'utf8');
    if (!/from 'prom-client'/.test(text)) {
      for (const [, name] of text.matchAll(/\bname:\s*'([a-z][a-z0-9_]*)',\s*help:/g))
        exact.add(name);
      continue;
    }
    const literals = new Set([...text.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]));
    for (const [, quote, name] of text.matchAll(/\bname:\s*(['`])([a-z_:${}A-Z]+)\1/g)) {
      if (quote === "'" || !name.includes('${')) exact.add(name);
      else
        patterns.push({
          regex: new RegExp(`^${name.replace(/\$\{\w+\}/g, '([a-z_]+)')}$`),
          literals,
        });
    }
    for (const [, name] of text.matchAll(/\b\w+\(\s*'([a-z][a-z0-9_]*)',\s*'[A-Z]/g))
      exact.add(name);
  }
  return {
    has(name) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      if (exact.has(name) || exact.has(base)) return true;
      return patterns.some(({ regex, literals }) => {
        const match = regex.exec(name);
        return match !== null && match.slice(1).every((part) => literals.has(part));
      });
    },
    size: exact.size + patterns.length,
  };
}

module.exports = { metricNames, serviceMetrics };
