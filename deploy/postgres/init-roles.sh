#!/bin/bash
# PostgreSQL bootstrap for PrivateSigstore: one login role and one schema per service in one database, least privilege.
#   - role <prefix><service> (LOGIN, no superuser/createdb/createrole/replication/bypassrls), password from
#     $PSIG_DB_PASSWORD_DIR/db_password_<service> (read by psql itself: never on a command line);
#   - schema <service> owned by that role; the role's search_path is that schema (the services also send
#     `Search Path=<service>` in their connection string), so EF Core's unqualified tables, __EFMigrationsHistory
#     included, land in it;
#   - nobody may create objects in schema public, PUBLIC has no rights on the database (only the service roles CONNECT).
# Idempotent (re-run it after adding a service or to reset passwords from the files). Runs as the database superuser:
#   compose:    mounted into /docker-entrypoint-initdb.d/ of the postgres container (first start of an empty volume);
#   systemd:    runuser -u postgres -- env POSTGRES_DB=privatesigstore PSIG_DB_PASSWORD_DIR=<a copy of
#                 /etc/privatesigstore/credentials/db that postgres can read> bash < deploy/postgres/init-roles.sh
#               (docs/operations.md, "systemd", has the exact commands, createdb first)
#   Kubernetes: the postgres StatefulSet mounts it from ConfigMap postgres-init (deploy/kubernetes/postgres.yaml).
# psql connects as libpq does by default (PGHOST, PGPORT, PGUSER, ...); POSTGRES_USER and POSTGRES_DB name the superuser
# and the database (the postgres image's variables).
set -euo pipefail
: "${POSTGRES_DB:=privatesigstore}"
: "${POSTGRES_USER:=postgres}"
: "${PSIG_DB_SERVICES:=identity ctlog rekor}"
: "${PSIG_DB_PASSWORD_DIR:=/run/secrets}"
: "${PSIG_DB_ROLE_PREFIX:=}"   # several stacks on one server: e.g. "staging_" gives roles staging_rekor, ...

sql="\\set ON_ERROR_STOP on
SET client_min_messages = warning;
\\set db '${POSTGRES_DB}'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :\"db\" FROM PUBLIC;
"
for service in ${PSIG_DB_SERVICES}; do
  [[ "$service" =~ ^[a-z][a-z0-9_]*$ ]] || { echo "init-roles.sh: bad service name '$service'" >&2; exit 2; }
  role="${PSIG_DB_ROLE_PREFIX}${service}"
  [[ "$role" =~ ^[a-z][a-z0-9_]*$ ]] || { echo "init-roles.sh: bad role name '$role'" >&2; exit 2; }
  pwfile="${PSIG_DB_PASSWORD_DIR}/db_password_${service}"
  [ -r "$pwfile" ] || { echo "init-roles.sh: no password file $pwfile" >&2; exit 2; }
  sql+="
\\set role '${role}'
\\set schema '${service}'
\\set pw \`cat '${pwfile}'\`
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \\gexec
ALTER ROLE :\"role\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD :'pw';
\\unset pw
ALTER ROLE :\"role\" IN DATABASE :\"db\" SET search_path = :\"schema\";
GRANT CONNECT, TEMPORARY ON DATABASE :\"db\" TO :\"role\";
CREATE SCHEMA IF NOT EXISTS :\"schema\" AUTHORIZATION :\"role\";
ALTER SCHEMA :\"schema\" OWNER TO :\"role\";
REVOKE ALL ON SCHEMA :\"schema\" FROM PUBLIC;
"
done
printf '%s' "$sql" | psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"
echo "init-roles.sh: roles and schemas ready for: ${PSIG_DB_SERVICES}" >&2
