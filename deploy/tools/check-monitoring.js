#!/usr/bin/env node
'use strict';
// Checks deploy/prometheus and deploy/grafana beyond what promtool does:
// - the dashboard is JSON, and every expression of it and of the rules reads a metric that exists:
//   one the service registers (src/), one a rule records, or one of the few named below;
// - every alert has a `runbook` sentence and a `runbook_url` whose section exists in docs/runbook.md,
//   and at least one promtool test where it fires and one where it stays quiet;
// - the scrape jobs the rules name (job="...") are in prometheus.yml, and its rule files exist;
// - recording rules keep the label job through every aggregation (by (job, ...)), and every read of
//   a recorded series or of a raw metric (rules and dashboard) selects its job: in a shared
//   Prometheus other services expose the same generic names, and another team's rule of the same
//   name records the same name too. cAdvisor's, scraped by the cluster's job, select the namespace.
//
//   node tools/check-monitoring.js            exit 1 and one line per problem when anything is wrong
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const YAML = require('yaml');
const { metricNames, serviceMetrics } = require('./promql-names');

const ROOT = join(__dirname, '..', '..');
const DEFAULT_PATHS = {
  src: join(ROOT, 'src'),
  prometheus: join(ROOT, 'deploy', 'prometheus'),
  dashboard: join(ROOT, 'deploy', 'grafana', 'order-service.json'),
  runbook: join(ROOT, 'docs', 'runbook.md'),
};

/**
 * Metrics that others expose: Prometheus's own `up`, the blackbox exporter's probe, the PgBouncer
 * exporter's (k8s/pgbouncer.yaml), the kubelet's cAdvisor.
 */
const EXTERNAL = new Set([
  'up',
  'probe_success',
  'probe_duration_seconds',
  'pgbouncer_up',
  'pgbouncer_pools_client_maxwait_seconds',
  'pgbouncer_pools_client_waiting_connections',
  'pgbouncer_pools_server_active_connections',
  'pgbouncer_pools_server_idle_connections',
]);
/** The kubelet's cAdvisor: scraped by the cluster's own job, read by the service's namespace. */
const CADVISOR = new Set([
  'container_memory_working_set_bytes',
  'container_cpu_usage_seconds_total',
]);

const readYaml = (path) => YAML.parse(readFileSync(path, 'utf8'));

const AGGREGATION =
  /\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\s*(?:(by|without)\s*\(([^)]*)\)\s*)?\(/g;

/** Aggregations of `expr` that drop the label job (prefix form: `sum by (...) (...)` only). */
function aggregationsDroppingJob(expr) {
  const dropping = [];
  for (const [whole, , clause, list] of expr.matchAll(AGGREGATION)) {
    const labels = (list ?? '').split(',').map((label) => label.trim());
    if (clause === 'by' ? !labels.includes('job') : clause !== 'without' || labels.includes('job'))
      dropping.push(whole.replace(/\s+/g, ' '));
  }
  return dropping;
}

/** The names `expr` reads for which `isNamed` holds, without a `label="..."` (or `=~`) matcher. */
function readsWithout(label, expr, isNamed) {
  const bare = [];
  const matcher = new RegExp(`\\b${label}\\s*=~?\\s*"`);
  for (const [, name, matchers] of expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)(\s*\{[^}]*\})?/g))
    if (isNamed(name) && !matcher.test(matchers ?? '')) bare.push(name);
  return bare;
}

/**
 * Reads of `expr` that another service's series of the same name would move: a metric the scrape
 * job gives (`scrapedByJob`) without its job, cAdvisor's without the namespace.
 */
function unselectedReads(expr, scrapedByJob) {
  return [
    ...readsWithout('job', expr, scrapedByJob).map(
      (name) => `reads ${name} without a job selector`,
    ),
    ...readsWithout('namespace', expr, (name) => CADVISOR.has(name)).map(
      (name) => `reads ${name} without a namespace selector`,
    ),
  ];
}

const rulesOf = (file) => (file?.groups ?? []).flatMap((group) => group.rules ?? []);

function exprsOf(value, found = []) {
  if (Array.isArray(value)) value.forEach((item) => exprsOf(item, found));
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value))
      if (key === 'expr' && typeof item === 'string') found.push(item);
      else exprsOf(item, found);
  return found;
}

/** GitHub's anchors for the headings of a Markdown file. */
function anchors(path) {
  if (!existsSync(path)) return new Set();
  const headings = readFileSync(path, 'utf8').match(/^#+ .+$/gm) ?? [];
  return new Set(
    headings.map((h) =>
      h
        .replace(/^#+ /, '')
        .toLowerCase()
        .replace(/[^a-z0-9 _-]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Every rule of the `*-rules.yml` files, each with the file it is in. */
function loadRules(dir) {
  return readdirSync(dir)
    .filter((f) => /-rules\.ya?ml$/.test(f))
    .flatMap((f) => rulesOf(readYaml(join(dir, f))).map((rule) => ({ ...rule, file: f })));
}

/** Where a problem of `rule` is: its file and its name. */
const ruleAt = (rule) => `${rule.file}: ${rule.record ?? rule.alert}`;

/**
 * An expression's problems: a metric nobody exposes, a read that another service's series of the
 * same name would move.
 */
function exprProblems(where, expr, scrapedByJob) {
  const unknown = metricNames(expr)
    .filter((name) => !scrapedByJob(name) && !CADVISOR.has(name))
    .map(
      (name) =>
        `${where}: ${name} is neither a metric of the service, a recorded rule nor a known external metric`,
    );
  return [...unknown, ...unselectedReads(expr, scrapedByJob).map((p) => `${where}: ${p}`)];
}

/** Each rule's expression, and whether its aggregations keep the label job. */
function ruleProblems(rules, scrapedByJob) {
  return rules.flatMap((rule) => {
    const where = ruleAt(rule);
    const expr = rule.expr ?? '';
    // Recorded series keep job (another team's rule may share the name), and so do alerts (routed
    // and silenced by it).
    const dropping = aggregationsDroppingJob(expr).map((a) => `${where}: ${a} drops the label job`);
    return [...exprProblems(where, expr, scrapedByJob), ...dropping];
  });
}

/** The dashboard's expressions (returned, for the count) and their problems. */
function dashboardProblems(path, scrapedByJob) {
  let dashboard;
  try {
    dashboard = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { exprs: [], errors: [`dashboard: not JSON: ${error.message.split('\n')[0]}`] };
  }
  const exprs = exprsOf(dashboard?.panels ?? []);
  const errors = exprs.flatMap((expr) => exprProblems('dashboard', expr, scrapedByJob));
  if (exprs.length === 0) errors.push('dashboard: no expression in any panel');
  return { exprs, errors };
}

/**
 * Each alert has its runbook sentence and section, a test where it fires and one where it stays
 * quiet.
 */
function alertProblems(rules, paths) {
  const sections = anchors(paths.runbook);
  const tests = readdirSync(join(paths.prometheus, 'tests'))
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => readYaml(join(paths.prometheus, 'tests', f)).tests ?? [])
    .flatMap((t) => t.alert_rule_test ?? []);
  return rules
    .filter((r) => r.alert)
    .flatMap((rule) => {
      const where = ruleAt(rule);
      const { runbook, runbook_url: url } = rule.annotations ?? {};
      const anchor = /^docs\/runbook\.md#(.+)$/.exec(url ?? '')?.[1];
      const own = tests.filter((t) => t.alertname === rule.alert);
      return [
        !runbook && `${where}: no runbook annotation`,
        !(anchor && sections.has(anchor)) &&
          `${where}: runbook_url ${url} is not a section of docs/runbook.md`,
        !own.some((t) => (t.exp_alerts ?? []).length > 0) && `${where}: no test where it fires`,
        !own.some((t) => (t.exp_alerts ?? []).length === 0) &&
          `${where}: no test where it stays quiet`,
      ].filter(Boolean);
    });
}

/** The scrape jobs the rules name, and the rule files prometheus.yml loads, exist. */
function configProblems(rules, dir) {
  const config = readYaml(join(dir, 'prometheus.yml'));
  const jobs = new Set((config.scrape_configs ?? []).map((s) => s.job_name));
  const missingJobs = rules.flatMap((rule) =>
    [...(rule.expr ?? '').matchAll(/\bjob="([^"]+)"/g)]
      .filter(([, job]) => !jobs.has(job))
      .map(([, job]) => `${ruleAt(rule)}: no scrape job ${job} in prometheus.yml`),
  );
  const missingFiles = (config.rule_files ?? [])
    .filter((file) => !existsSync(join(dir, file)))
    .map((file) => `prometheus.yml: rule file ${file} does not exist`);
  return [...missingJobs, ...missingFiles];
}

function checkMonitoring(paths = DEFAULT_PATHS) {
  const rules = loadRules(paths.prometheus);
  const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record));
  const service = serviceMetrics(paths.src);
  const scrapedByJob = (name) => recorded.has(name) || EXTERNAL.has(name) || service.has(name);
  const dashboard = dashboardProblems(paths.dashboard, scrapedByJob);
  const errors = [
    ...ruleProblems(rules, scrapedByJob),
    ...dashboard.errors,
    ...alertProblems(rules, paths),
    ...configProblems(rules, paths.prometheus),
  ];
  return { errors, rules: rules.length, dashboardExprs: dashboard.exprs.length };
}

if (require.main === module) {
  const { errors, rules, dashboardExprs } = checkMonitoring();
  for (const error of errors) console.error(`monitoring: ${error}`);
  console.log(
    `monitoring: ${rules} rules, ${dashboardExprs} dashboard expressions, ${errors.length} problem(s)`,
  );
  process.exit(errors.length ? 1 : 0);
}

module.exports = {
  checkMonitoring,
  aggregationsDroppingJob,
  readsWithout,
  DEFAULT_PATHS,
};
