#!/usr/bin/env bash
# What numbering an event costs PostgreSQL beside what the create that wrote it costs (run by
# `run.sh move`, on its fresh database and scripts): one client runs 5,000 creates, which leave
# 5,000 events in events_pending; then the sequencer's statement moves them to events in batches
# of 100, as the service does. Both run alone on one backend, so their time is that backend's
# (with the commits' WAL flushes). Three rounds on emptied tables.
#   bash bench/pgbench/move.sh <database URL> <scripts folder>
set -euo pipefail
url=$1
scripts=$2
creates=5000

for round in 1 2 3; do
  psql "$url" -qc "TRUNCATE idempotency_keys, orders, order_items, events_pending, events" -c CHECKPOINT
  create=$(pgbench "$url" -n -M prepared -c 1 -j 1 -t $creates -f "$scripts/create.sql" 2>&1 |
    awk '/^tps/ { printf "%.0f", 1e6 / $3 }')
  psql "$url" -qc CHECKPOINT
  move=$(pgbench "$url" -n -M prepared -c 1 -j 1 -t $((creates / 100)) -f "$scripts/sequence-100.sql" 2>&1 |
    awk '/^tps/ { printf "%.1f", 1e6 / $3 / 100 }')
  left=$(psql "$url" -Atc "SELECT count(*) FROM events_pending")
  [ "$left" = 0 ] || { echo "round $round: $left events were not moved" >&2; exit 1; }
  echo "round $round: a create $create µs, moving its event $move µs"
done
