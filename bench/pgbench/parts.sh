#!/usr/bin/env bash
# What each part of the keyed create costs PostgreSQL (run by `run.sh parts`, on its fresh
# database and scripts): creates a second with the whole statement and without the part, run one
# after the other on emptied tables, three rounds; prints each round's pair and the median ratio.
#   bash bench/pgbench/parts.sh <database URL> <scripts folder>
set -euo pipefail
url=$1
scripts=$2
rounds=3

# Creates a second over 6 s at 10 clients, on tables emptied and checkpointed first.
tps() {
  psql "$url" -qc "TRUNCATE idempotency_keys, orders, order_items, events_pending, events" -c CHECKPOINT
  pgbench "$url" -n -M prepared -c 10 -j 2 -T 6 -f "$1" 2>&1 | awk '/^tps/ { printf "%d", $3 }'
}

# part name, the script without it (or the whole), and the SQL that removes and restores it.
parts=(
  "the event's write|create-without-order_created_event.sql||"
  "the items' write|create-without-inserted_items.sql||"
  "the claim's checks (the live record's read, the advisory lock)|create-without-claim-checks.sql||"
  "the key's expiry index|create.sql|DROP INDEX idempotency_keys_expires_at_idx|CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at)"
  "the client reference's unique index|create.sql|DROP INDEX orders_user_client_reference_key|CREATE UNIQUE INDEX orders_user_client_reference_key ON orders (user_id, client_reference)"
  "the pending events' time index|create.sql|DROP INDEX events_pending_time_idx|CREATE INDEX events_pending_time_idx ON events_pending (time, id)"
  "the order's foreign key to its user|create.sql|ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey|ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"
  "the items' foreign key to their order|create.sql|ALTER TABLE order_items DROP CONSTRAINT order_items_order_id_fkey|ALTER TABLE order_items ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE"
  "the pending event's foreign key to its user|create.sql|ALTER TABLE events_pending DROP CONSTRAINT events_pending_user_id_fkey|ALTER TABLE events_pending ADD CONSTRAINT events_pending_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"
  "both foreign keys to the user (the row lock they share)|create.sql|ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey; ALTER TABLE events_pending DROP CONSTRAINT events_pending_user_id_fkey|ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE; ALTER TABLE events_pending ADD CONSTRAINT events_pending_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"
  "the orders' two checks|create.sql|ALTER TABLE orders DROP CONSTRAINT orders_total_check, DROP CONSTRAINT orders_status_check|ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0), ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'cancelled'))"
)

for part in "${parts[@]}"; do
  [ -n "${PARTS_ONLY:-}" ] && [[ "$part" != *"$PARTS_ONLY"* ]] && continue
  IFS='|' read -r name script remove restore <<<"$part"
  ratios=()
  pairs=()
  for _ in $(seq $rounds); do
    whole=$(tps "$scripts/create.sql")
    [ -n "$remove" ] && psql "$url" -qc "$remove"
    part_off=$(tps "$scripts/$script")
    [ -n "$restore" ] && psql "$url" -qc "$restore"
    pairs+=("$whole/$part_off")
    ratios+=("$(awk -v a="$part_off" -v b="$whole" 'BEGIN { printf "%.3f", a / b }')")
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(((rounds + 1) / 2))p")
  echo "without $name: ${median}x creates a second (whole/without: ${pairs[*]})"
done
