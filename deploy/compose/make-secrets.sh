#!/bin/sh
# make-secrets.sh [dir]: creates the compose secrets once (random values; existing files are kept) in dir (default:
# deploy/compose/secrets/):
#   db_admin_password            the PostgreSQL superuser's password (only the postgres container reads it);
#   db_password_<service>        one login role per service (identity, ctlog, rekor, rekor_v2), each owning only its own schema;
#   pgpass_<service>             the matching pgpass line the service reads (Npgsql's Passfile: no password in any
#                                environment variable);
#   hsm_pin, hsm_so_pin          the online SoftHSM2 token Fulcio signs with (the intermediate key);
#   hsm_root_pin, hsm_root_so_pin  the root token, which only the ceremony (keys-init) ever opens.
# Docker Compose without Swarm bind-mounts these files with their host owner and mode, and the containers read them as
# other users (PostgreSQL as uid 999, the services as uid 10001): the files are world-readable inside a directory only
# their owner can enter (0700), so on the host only that owner (and root) reaches them.
set -eu
dir="${1:-$(cd "$(dirname "$0")" && pwd)/secrets}"
mkdir -p "$dir" && chmod 0700 "$dir"
rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
[ -s "$dir/db_admin_password" ] || rand > "$dir/db_admin_password"
for service in identity ctlog rekor rekor_v2; do
  [ -s "$dir/db_password_$service" ] || rand > "$dir/db_password_$service"
  [ -s "$dir/pgpass_$service" ] || printf '*:*:*:%s:%s\n' "$service" "$(cat "$dir/db_password_$service")" > "$dir/pgpass_$service"
done
for pin in hsm_pin hsm_so_pin hsm_root_pin hsm_root_so_pin; do
  [ -s "$dir/$pin" ] || rand > "$dir/$pin"
done
chmod 0444 "$dir"/*
echo "secrets in $dir"
