#!/usr/bin/env bash
# PostgreSQL's side of a create, without the service: pgbench runs the keyed order create (from
# sql/orders.sql, fixed values but a fresh key each time; see statements.ts) at 10 clients for
# 8 s on a fresh migrated database, optionally beside the event sequencer's batch (sql/events.sql)
# 20 times a second, as the service runs it. Prints transactions (creates) a second.
# `parts`: what each part of the statement costs PostgreSQL, as the ratio of creates a second
# without it to creates with it, each pair run one after the other on emptied tables, three
# rounds (6 s each, no sequencer): the event's write, the items' write, the claim's checks, three
# indexes, three foreign keys, the two to the user together, and the orders' checks;
# PARTS_ONLY=<text> runs the parts whose name contains it.
# `move`: what moving an event from events_pending to events costs beside the create (move.sh).
# `batch`: the creates a second of the statement's batched form, 5 and 10 creates a statement
# (batch.sh).
# `reads`: what an order's get and a page of the list cost PostgreSQL (reads.sh).
#   bash bench/pgbench/run.sh [sequencer|none|parts|move|batch|reads] [server URL]   (default: sequencer, the machine's PG)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${2:-postgres://postgres@127.0.0.1:5432/postgres}
db=pgbench_create_$$
url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = `/${process.argv[2]}`; console.log(u.href)' "$server" "$db")
psql "$server" -qc "CREATE DATABASE $db"
scripts=$(mktemp -d)
trap 'psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$scripts"' EXIT
cd "$here/../.."
npx ts-node --transpile-only bench/pgbench/statements.ts "$scripts"
npx ts-node --transpile-only -e "require('./test/support/test-database').migrate('$url')"
psql "$url" -qc "INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
  VALUES ('11111111-1111-4111-8111-111111111111', 'bench@example.com', 'bench@example.com', 'Bench', 'x', now(), now())"
if [ "${1:-}" = parts ] || [ "${1:-}" = move ] || [ "${1:-}" = batch ] || [ "${1:-}" = reads ]; then
  bash "$here/$1.sh" "$url" "$scripts"
  exit
fi
if [ "${1:-sequencer}" = sequencer ]; then
  pgbench "$url" -n -M prepared -c 1 -j 1 -R 20 -T 9 -f "$scripts/sequence.sql" >/dev/null 2>&1 &
fi
pgbench "$url" -n -M prepared -c 10 -j 2 -T 8 -f "$scripts/create.sql" 2>&1 | grep -E '^tps'
wait
