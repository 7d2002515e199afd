#!/bin/sh
# Creates the compose secrets once (random values; existing files are kept): the PostgreSQL password, the matching
# pgpass file the services read (Npgsql's Passfile, so no password is in any environment variable), and the SoftHSM2
# user PIN and SO PIN. Docker Compose without Swarm bind-mounts these files as they are: the services run as uid
# 10001, so the files are made readable by that uid only.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir" && chmod 0700 "$dir"
rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
[ -s "$dir/db_password" ] || rand > "$dir/db_password"
[ -s "$dir/pgpass" ] || printf '*:*:privatesigstore:privatesigstore:%s\n' "$(cat "$dir/db_password")" > "$dir/pgpass"
[ -s "$dir/hsm_pin" ] || rand > "$dir/hsm_pin"
[ -s "$dir/hsm_so_pin" ] || rand > "$dir/hsm_so_pin"
chmod 0400 "$dir"/*
if [ "$(id -u)" -eq 0 ]; then chown 10001:10001 "$dir/pgpass" "$dir/hsm_pin" "$dir/hsm_so_pin"; chown 999 "$dir/db_password" 2>/dev/null || true; fi
echo "secrets in $dir"
