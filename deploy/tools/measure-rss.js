#!/usr/bin/env node
// Measures what the pod resources in deploy/k8s are sized from: RSS and CPU of an API process
// (idle, under create load, under 1 MiB uploads) and of an idle worker process, both started from
// dist/ as the image starts them. Needs the root's `npm ci && npm run build` (it uses the root's
// autocannon) and a PostgreSQL on DATABASE_URL, where it creates and drops a database of its own.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node deploy/tools/measure-rss.js
//
// MEASURE_SECONDS (default 15) is the length of each load pass; keep it short on shared machines.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const ROOT = join(__dirname, '..', '..');
const SECONDS = Number(process.env.MEASURE_SECONDS ?? 15);
const ORDER = JSON.stringify({
  currency: 'EUR',
  items: [{ sku: 'RSS-1', quantity: 2, unitPrice: 1250 }],
});
const TICKS = 100; // USER_HZ on Linux

const status = (pid, field) =>
  Math.round(
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) /
      1024,
  );
const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function start(script, env) {
  const child = spawn(
    'node',
    ['--max-old-space-size=160', '--heap-growing-percent=100', `dist/src/${script}`],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return child;
}

async function waitReady(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`nothing ready on port ${port}`);
}

/** Runs autocannon for SECONDS; returns req/s, p99, and the API's RSS peak and CPU cores used. */
async function load(pid, options) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM from now on
  const cpuBefore = cpuSeconds(pid);
  let maxRss = 0;
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, status(pid, 'VmRSS'))), 250);
  const { url, connections, method, headers, body } = options;
  const withKey = (request) => ({
    ...request,
    headers: { ...request.headers, 'idempotency-key': randomUUID() },
  });
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    duration: SECONDS,
    requests: [{ method, headers, body, setupRequest: withKey }], // a fresh key per request
  });
  clearInterval(sampler);
  return {
    reqPerSec: Math.round(result.requests.average),
    p99ms: result.latency.p99,
    statuses: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
    ),
    cores: +((cpuSeconds(pid) - cpuBefore) / SECONDS).toFixed(2),
    rssPeakMiB: status(pid, 'VmHWM'),
    rssSampledMaxMiB: maxRss,
    rssAfterMiB: status(pid, 'VmRSS'),
  };
}

async function main() {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl)
    throw new Error('set DATABASE_URL to a PostgreSQL where a database may be created');
  const dbName = `rss_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const env = { DATABASE_URL: url.toString(), JWT_SECRET: randomBytes(32).toString('hex') };
  const api = start('main.js', {
    ...env,
    PORT: '3917',
    WORKER_CONCURRENCY: '0',
    AUTH_RATE_LIMIT: '0',
  });
  let worker;
  try {
    await waitReady(3917);
    worker = start('worker.js', { ...env, PORT: '3918', WORKER_CONCURRENCY: '2' });
    await waitReady(3918);
    await sleep(10_000);
    const idle = { apiMiB: status(api.pid, 'VmRSS'), workerMiB: status(worker.pid, 'VmRSS') };
    const base = 'http://127.0.0.1:3917';
    const credentials = { email: `rss-${randomUUID()}@example.com`, password: 'measure password' };
    const post = (path, body) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    await post('/api/users', { ...credentials, name: 'RSS' });
    const { accessToken } = await (await post('/api/auth/token', credentials)).json();
    const auth = { Authorization: `Bearer ${accessToken}` };
    const probe = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      body: ORDER,
    });
    if (probe.status !== 201)
      throw new Error(`a create answered ${probe.status}: ${await probe.text()}`);
    const results = { seconds: SECONDS, idle };
    for (const connections of [10, 50]) {
      results[`create c${connections}`] = await load(api.pid, {
        url: `${base}/api/orders`,
        connections,
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: ORDER,
      });
    }
    const boundary = 'rss0123456789';
    const file = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      ),
      Buffer.alloc(1024 * 1024, 'a'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    // Past UPLOAD_CONCURRENCY (4) uploads wait unread: 50 and 200 connections show that bound.
    for (const connections of [10, 50, 200]) {
      results[`upload 1 MiB c${connections}`] = await load(api.pid, {
        url: `${base}/api/files`,
        connections,
        method: 'POST',
        headers: { ...auth, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
        body: file,
      });
    }
    results.workerAfterMiB = status(worker.pid, 'VmRSS');
    console.log(JSON.stringify(results, null, 2));
  } finally {
    for (const child of [api, worker]) if (child) child.kill('SIGTERM');
    await sleep(3_000);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
