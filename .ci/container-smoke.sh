#!/usr/bin/env bash
# Runs the image's start command with the image's environment (see Dockerfile) against a fresh
# database on the machine's PostgreSQL, because CI has no Docker engine: the migration command,
# the start command (which also migrates), /health/ready, one sign-up, /metrics on METRICS_PORT
# and not on PORT, a restart on the same database, then SIGTERM must exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="order_service_smoke_$$"
psql "$server" -qc "CREATE DATABASE $db"
pid=
# A failed check (set -e) must not leave the service running, holding CI's output open.
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; }; psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
port=$(free_port)
metrics_port=$(free_port)
export NODE_ENV=production HOST=127.0.0.1 PORT=$port METRICS_PORT=$metrics_port DATA_DIR=$(mktemp -d)
export DATABASE_URL="${server%/*}/$db" JWT_SECRET=ci-smoke-secret-ci-smoke-secret-ci-smoke

run_once() {
  node --max-old-space-size=160 --heap-growing-percent=100 dist/src/main.js & pid=$!
  for _ in $(seq 1 180); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "service not ready within 90 s"; kill "$pid"; return 1
}

node dist/src/migrate.cli.js   # npm run migration:run, as an operator would before a rollout
run_once
curl -fsS -o /dev/null -w 'sign-up: %{http_code}\n' -X POST "http://127.0.0.1:$port/api/users" \
  -H 'Content-Type: application/json' -d '{"email":"smoke@example.com","name":"Smoke","password":"smoke-test-1"}'
curl -fsS "http://127.0.0.1:$metrics_port/metrics" | grep '^resources_created_total{route="/api/users"} 1$'
on_port=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
echo "/metrics on PORT: $on_port"; test "$on_port" = 404
kill -TERM "$pid"; wait "$pid"; echo "first run exited $?"
run_once   # migrations already applied: a restart must just start
kill -TERM "$pid"; wait "$pid"; echo "second run exited $?"
