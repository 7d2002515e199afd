#!/bin/sh
# Runs the image's service: dotnet /app/PrivateSigstore.$PSIG_SERVICE.dll with the container's arguments
# (so `docker run … ca ceremony …` reaches Fulcio's CA commands and `… admin users list` Identity's admin commands).
# Without ASPNETCORE_URLS the service would listen on 127.0.0.1 only (its bare-metal default), unreachable from outside
# the container: listen on all addresses at the service's usual port instead, over HTTPS when a server certificate is
# configured (Kestrel__Certificates__Default__Path).
set -eu
: "${PSIG_SERVICE:?PSIG_SERVICE is not set}"
if [ -z "${ASPNETCORE_URLS:-}" ]; then
  case "$PSIG_SERVICE" in
    Rekor) port=3000 ;; CtLog) port=6962 ;; Fulcio) port=5555 ;; Identity) port=5556 ;; Timestamp) port=3004 ;; *) port=8080 ;;
  esac
  scheme=http
  [ -z "${Kestrel__Certificates__Default__Path:-}" ] || scheme=https
  export ASPNETCORE_URLS="${scheme}://0.0.0.0:${PSIG_HEALTH_PORT:-$port}"
fi
exec dotnet "${PSIG_APP_DIR:-/app}/PrivateSigstore.${PSIG_SERVICE}.dll" "$@"
