#!/bin/sh
# Creates the `temporal` and `temporal_visibility` databases and brings their schemas to the server's version, with
# Temporal's schema tool and the schemas built into it. Safe to run on every start: what exists is kept, and only the
# missing versions are applied. Run by `npm run server:production` (scripts/lib/production-stack.ts) and by
# docker-compose.yml's temporal-schema job, with the variables of config/production.yaml:
#   TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD; TEMPORAL_SQL_TOOL: the tool's path.
set -eu
tool=${TEMPORAL_SQL_TOOL:-temporal-sql-tool}
export SQL_PLUGIN=postgres12
export SQL_HOST="${TEMPORAL_DB_HOST:-127.0.0.1}"
export SQL_PORT="${TEMPORAL_DB_PORT:-5432}"
export SQL_USER="${TEMPORAL_DB_USER:-temporal}"
export SQL_PASSWORD="${TEMPORAL_DB_PASSWORD:-temporal}"

for pair in temporal:temporal temporal_visibility:visibility; do
  database=${pair%%:*}
  schema=postgresql/v12/${pair#*:}
  "$tool" --db "$database" create-database
  "$tool" --db "$database" setup-schema -v 0.0
  "$tool" --db "$database" update-schema --schema-name "$schema"
done
