#!/usr/bin/env bash
# What writing creates together saves PostgreSQL (run by `run.sh batch`, on its fresh database and
# scripts): creates a second with the one-create statement at 10 clients, against its batched form
# (OrdersRepository.create (many, ...)) with 5 and 10 creates a statement at 2 clients, as the
# service sends them under load (CREATE_CONCURRENCY=2); each run on emptied tables, three rounds.
#   bash bench/pgbench/batch.sh <database URL> <scripts folder>
set -euo pipefail
url=$1
scripts=$2

# Creates a second over 6 s: script, clients, creates a transaction.
creates() {
  psql "$url" -qc "TRUNCATE idempotency_keys, orders, order_items, events_pending, events" -c CHECKPOINT
  pgbench "$url" -n -M prepared -c "$2" -j "$2" -T 6 -f "$1" 2>&1 |
    awk -v n="$3" '/^tps/ { printf "%d", $3 * n }'
}

for round in 1 2 3; do
  one=$(creates "$scripts/create.sql" 10 1)
  five=$(creates "$scripts/create-many-5.sql" 2 5)
  ten=$(creates "$scripts/create-many-10.sql" 2 10)
  echo "round $round: one a statement $one/s; 5 a statement $five/s ($(echo "scale=2; $five / $one" | bc)x); 10 a statement $ten/s ($(echo "scale=2; $ten / $one" | bc)x)"
done
