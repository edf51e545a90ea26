#!/usr/bin/env bash
# What an order's reads cost PostgreSQL (run by `run.sh reads`, on its fresh database and
# scripts): 1,000 orders of two items each for the bench user, then a get by id (one of them at
# random) and the list's first page of 20, each timed alone at one client (prepared, 8 s),
# alternated over five rounds. Prints µs a statement, the round trip included; to compare two
# builds, run each checkout's own.
#   bash bench/pgbench/reads.sh <database URL> <scripts folder>
set -euo pipefail
url=$1
scripts=$2

psql "$url" -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO orders (id, user_id, status, currency, total, client_reference, note, created_at, updated_at)
  SELECT ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
         '11111111-1111-4111-8111-111111111111', 'pending', 'EUR', 2599, NULL, 'leave at the door',
         date_trunc('milliseconds', now()) - n * interval '1 second',
         date_trunc('milliseconds', now()) - n * interval '1 second'
    FROM generate_series(1, 1000) AS n;
INSERT INTO order_items (order_id, position, sku, quantity, unit_price, line_total)
  SELECT o.id, p, 'SKU-' || p, 2, 1250, 2500 FROM orders o, generate_series(1, 2) AS p;
VACUUM ANALYZE orders, order_items;
SQL

# µs a statement of script $1 over 8 s at one client; pgbench's own words if it failed.
timed() {
  local out
  out=$(pgbench "$url" -n -M prepared -c 1 -j 1 -T 8 -f "$scripts/$1" 2>&1) ||
    { echo "$out" >&2; return 1; }
  awk '/^tps/ { printf "%.1f", 1e6 / $3; found = 1 } END { exit !found }' <<<"$out" ||
    { echo "$out" >&2; return 1; }
}

for round in 1 2 3 4 5; do
  # Assignments, not arguments to echo: under `set -e` a failed timing stops the script.
  get=$(timed get.sql)
  list=$(timed list.sql)
  echo "round $round: a get $get µs, a page of 20 $list µs"
done
