#!/bin/bash
# healthcheck.sh [path]: exit 0 when GET <path> on the service's own port at 127.0.0.1 answers 200 (no curl in the
# image). The port is PSIG_HEALTH_PORT, or the service's usual port (Rekor 3000, CtLog 6962, Fulcio 5555, Identity 5556).
# Over HTTPS (PSIG_HEALTH_SCHEME=https, or ASPNETCORE_URLS starting with https://) it speaks TLS with openssl s_client
# and checks the server certificate against SSL_CERT_FILE (the internal CA) for the name localhost; else plain HTTP
# through bash's /dev/tcp.
set -u
path="${1:-/healthz}"
case "${PSIG_SERVICE:-}" in
  Rekor) default=3000 ;; CtLog) default=6962 ;; Fulcio) default=5555 ;; Identity) default=5556 ;; *) default=8080 ;;
esac
port="${PSIG_HEALTH_PORT:-$default}"
scheme="${PSIG_HEALTH_SCHEME:-}"
if [ -z "$scheme" ]; then
  case "${ASPNETCORE_URLS:-}" in https://*) scheme=https ;; *) scheme=http ;; esac
fi
request() { printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path"; }
if [ "$scheme" = "https" ]; then
  status="$(request | timeout 5 openssl s_client -quiet -connect "127.0.0.1:${port}" \
    -servername localhost -verify_hostname localhost -verify_return_error ${SSL_CERT_FILE:+-CAfile "$SSL_CERT_FILE"} 2>/dev/null | head -n1)"
else
  exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
  request >&3
  IFS= read -r -t 5 status <&3 || exit 1
fi
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) exit 1 ;;
esac
