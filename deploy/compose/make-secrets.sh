#!/bin/sh
# Creates the compose secrets once (random values; existing files are kept): the PostgreSQL password, the matching
# pgpass file the services read (Npgsql's Passfile, so no password is in any environment variable), and the SoftHSM2
# user PIN and SO PIN. Docker Compose without Swarm bind-mounts these files with their host owner and mode, and the
# containers read them as other users (PostgreSQL as uid 999, the services as uid 10001): the files are world-readable
# inside a directory only their owner can enter (0700), so on the host only that owner (and root) reaches them.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir" && chmod 0700 "$dir"
rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
[ -s "$dir/db_password" ] || rand > "$dir/db_password"
[ -s "$dir/pgpass" ] || printf '*:*:privatesigstore:privatesigstore:%s\n' "$(cat "$dir/db_password")" > "$dir/pgpass"
[ -s "$dir/hsm_pin" ] || rand > "$dir/hsm_pin"
[ -s "$dir/hsm_so_pin" ] || rand > "$dir/hsm_so_pin"
chmod 0444 "$dir"/db_password "$dir"/pgpass "$dir"/hsm_pin "$dir"/hsm_so_pin
echo "secrets in $dir"
