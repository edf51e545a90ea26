'use strict';
// Self-test of check-monitoring.js: the real files pass; copies with one mistake each fail.
const assert = require('node:assert/strict');
const { join } = require('node:path');
const { test } = require('node:test');
const {
  checkMonitoring,
  aggregationsDroppingJob,
  readsWithout,
  DEFAULT_PATHS,
} = require('./check-monitoring');
const { metricNames } = require('./promql-names');
const { checkEditedCopy, expectProblem } = require('./test-helpers');

const SOURCES = {
  prometheus: DEFAULT_PATHS.prometheus,
  'order-service.json': DEFAULT_PATHS.dashboard,
  'runbook.md': DEFAULT_PATHS.runbook,
};

/** checkMonitoring's problems on copies of the rules, dashboard and runbook, `file` edited. */
const withEdit = (file, edit) =>
  checkEditedCopy(
    SOURCES,
    file === 'dashboard' ? 'order-service.json' : join('prometheus', file),
    edit,
    (folder) =>
      checkMonitoring({
        src: DEFAULT_PATHS.src,
        prometheus: join(folder, 'prometheus'),
        dashboard: join(folder, 'order-service.json'),
        runbook: join(folder, 'runbook.md'),
      }).errors,
  );

test('metric names are read out of PromQL, without functions, labels or keywords', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, route) (rate(x_bucket{route=~"/api/.*"}[5m])))',
    ),
    ['x_bucket'],
  );
  assert.deepEqual(
    metricNames('a:b:rate5m < 0.5 * (c offset 1w) and on () (d or vector(0)) == 0'),
    ['a:b:rate5m', 'c', 'd'],
  );
  assert.deepEqual(metricNames('deriv(max(jobs_queued)[15m:1m]) > 1e3'), ['jobs_queued']);
});

test('the rules, the dashboard and the runbook pass', () => {
  const { errors, dashboardExprs } = checkMonitoring();
  assert.deepEqual(errors, []);
  assert.ok(dashboardExprs >= 15);
});

test('a misspelt metric in the dashboard is caught', () => {
  expectProblem(
    withEdit('dashboard', (t) =>
      t.replace(
        'sum by (event) (rate(idempotency_events_total',
        'sum by (event) (rate(idempotency_event_total',
      ),
    ),
    /dashboard: idempotency_event_total is neither a metric of the service/,
  );
});

test('a dashboard that is not JSON is caught', () => {
  expectProblem(
    withEdit('dashboard', (t) => t.replace('"panels": [', '"panels": [,')),
    /dashboard: not JSON/,
  );
});

test('a misspelt metric or recorded rule in the rules is caught', () => {
  expectProblem(
    withEdit('recording-rules.yml', (t) =>
      t.replace(
        'rate(resources_created_total{job="order-service"}[5m]))\n      - record: route:resources_created:rate1h',
        'rate(resources_create_total{job="order-service"}[5m]))\n      - record: route:resources_created:rate1h',
      ),
    ),
    /route:resources_created:rate5m: resources_create_total is neither/,
  );
  expectProblem(
    withEdit('alerting-rules.yml', (t) =>
      t.replace(
        'deriv(job:jobs_queued:max{job="order-service"}[15m])',
        'deriv(job:jobs_queued:maximum{job="order-service"}[15m])',
      ),
    ),
    /OrderServiceJobsBacklogGrowing: job:jobs_queued:maximum is neither/,
  );
});

test('aggregations that drop job, and reads without a job selector, are found', () => {
  assert.deepEqual(
    aggregationsDroppingJob(
      'sum by (job, route) (a) / sum(b) + max by (route) (c) + histogram_quantile(0.9, sum by (le, job) (d))',
    ),
    ['sum(', 'max by (route) ('],
  );
  assert.deepEqual(aggregationsDroppingJob('sum without (pod) (a) + max without (job) (b)'), [
    'max without (job) (',
  ]);
  const recorded = new Set(['job:a:rate5m', 'route:b:rate5m']);
  assert.deepEqual(
    readsWithout(
      'job',
      'job:a:rate5m{job="x"} > 0 and on (job) route:b:rate5m{route="/r"} or deriv(job:a:rate5m[5m]) or c',
      (name) => recorded.has(name),
    ),
    ['route:b:rate5m', 'job:a:rate5m'],
  );
  assert.deepEqual(
    readsWithout('job', 'job:a:rate5m{job=~"x|y"}', (name) => recorded.has(name)),
    [],
  );
});

test('a rule that drops job, or a read of a recorded series or raw metric without its selector, is caught', () => {
  expectProblem(
    withEdit('recording-rules.yml', (t) =>
      t.replace(
        'max by (job) (jobs_failed{job="order-service"})',
        'max(jobs_failed{job="order-service"})',
      ),
    ),
    /job:jobs_failed:max: max\( drops the label job/,
  );
  expectProblem(
    withEdit('alerting-rules.yml', (t) =>
      t.replace(
        'expr: max by (job) (jobs_failed{job="order-service"}) > 0',
        'expr: max(jobs_failed{job="order-service"}) > 0',
      ),
    ),
    /OrderServiceJobsFailed: max\( drops the label job/,
  );
  expectProblem(
    withEdit('alerting-rules.yml', (t) =>
      t.replace(
        'and job:http_requests:rate5m{job="order-service"} > 1',
        'and job:http_requests:rate5m > 1',
      ),
    ),
    /OrderService5xxRatioHigh: reads job:http_requests:rate5m without a job selector/,
  );
  expectProblem(
    withEdit('dashboard', (t) =>
      t.replace('"job:jobs_failed:max{job=\\"order-service\\"}"', '"job:jobs_failed:max"'),
    ),
    /dashboard: reads job:jobs_failed:max without a job selector/,
  );
  expectProblem(
    withEdit('recording-rules.yml', (t) =>
      t.replace('max by (job) (jobs_queued{job="order-service"})', 'max by (job) (jobs_queued)'),
    ),
    /job:jobs_queued:max: reads jobs_queued without a job selector/,
  );
  expectProblem(
    withEdit('dashboard', (t) =>
      t.replace('db_pool_waiting_requests{job=\\"order-service\\"}', 'db_pool_waiting_requests'),
    ),
    /dashboard: reads db_pool_waiting_requests without a job selector/,
  );
  expectProblem(
    withEdit('dashboard', (t) =>
      t.replace(
        'container_memory_working_set_bytes{namespace=\\"order-service\\", ',
        'container_memory_working_set_bytes{',
      ),
    ),
    /dashboard: reads container_memory_working_set_bytes without a namespace selector/,
  );
});

test('an alert without a runbook, or without tests both ways, is caught', () => {
  expectProblem(
    withEdit('alerting-rules.yml', (t) => t.replace(/ {10}runbook: "Workers are too few.*\n/, '')),
    /OrderServiceJobsBacklogGrowing: no runbook annotation/,
  );
  expectProblem(
    withEdit('alerting-rules.yml', (t) =>
      t.replace('runbook.md#orderservicejobsfailed', 'runbook.md#jobs-failed'),
    ),
    /OrderServiceJobsFailed: runbook_url docs\/runbook.md#jobs-failed is not a section/,
  );
  // tests/scrape-job.yml has a quiet test of most alerts (another job's series); not this one.
  expectProblem(
    withEdit('tests/probe-idempotency.yml', (t) =>
      t.replace(
        / {6}- eval_time: 7m\n {8}alertname: OrderServiceCreateProbeFailing\n {8}exp_alerts: \[\]\n/,
        '',
      ),
    ),
    /OrderServiceCreateProbeFailing: no test where it stays quiet/,
  );
});

test('a probe job the rules name must be scraped, and the rule files loaded must exist', () => {
  expectProblem(
    withEdit('prometheus.yml', (t) =>
      t.replace('job_name: order-service-create-probe', 'job_name: create-probe'),
    ),
    /no scrape job order-service-create-probe in prometheus.yml/,
  );
  expectProblem(
    withEdit('prometheus.yml', (t) => t.replace('  - alerting-rules.yml', '  - alerts.yml')),
    /prometheus.yml: rule file alerts.yml does not exist/,
  );
});
