#!/bin/bash
# healthcheck.sh [path]: exit 0 when GET http://127.0.0.1:<port><path> answers 200 (no curl in the image). The port is
# PSIG_HEALTH_PORT, or the service's usual port (Rekor 3000, CtLog 6962, Fulcio 5555, Identity 5556).
set -u
path="${1:-/healthz}"
case "${PSIG_SERVICE:-}" in
  Rekor) default=3000 ;; CtLog) default=6962 ;; Fulcio) default=5555 ;; Identity) default=5556 ;; *) default=8080 ;;
esac
port="${PSIG_HEALTH_PORT:-$default}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) exit 1 ;;
esac
