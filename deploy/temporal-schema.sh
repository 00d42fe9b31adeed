#!/bin/sh
# One-shot schema setup for Temporal on PostgreSQL, run in temporalio/admin-tools (the supported
# replacement for the deprecated auto-setup image). Idempotent: existing databases and applied
# versions are left alone; update-schema applies only what is missing.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }

until nc -z "$POSTGRES_SEEDS" "${DB_PORT:-5432}"; do echo "waiting for PostgreSQL"; sleep 1; done
for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"; dir="${pair##*:}"
  tool --db "$db" create-database 2>/dev/null || echo "database $db exists"
  tool --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already set up"
  tool --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
