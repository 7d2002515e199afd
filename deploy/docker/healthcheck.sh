#!/bin/bash
# healthcheck.sh [path]: exit 0 when GET http://127.0.0.1:$PSIG_HEALTH_PORT<path> answers 200 (no curl in the image).
set -u
path="${1:-/healthz}"
port="${PSIG_HEALTH_PORT:?PSIG_HEALTH_PORT is not set}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) exit 1 ;;
esac
