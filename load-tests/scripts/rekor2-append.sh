#!/usr/bin/env bash
# Measures Rekor v2 appends (POST /api/v2/log/entries, hashedRekordRequestV002, ECDSA P-256, pre-signed before the timed
# phase) against the Rekor service's v2 personality on SQLite with its defaults (Ed25519 development checkpoint key,
# group commit), the generator beside it on the same cores, as recorded in docs/performance.md ("Rekor v2 appends").
# Loopback only; stops by itself.
#   load-tests/scripts/rekor2-append.sh [duration-seconds] [concurrency] [extra server args...]
#   e.g. load-tests/scripts/rekor2-append.sh 60 1024 --RekorV2:Key:Algorithm EcdsaP256Sha256
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-60}
CONCURRENCY=${2:-1024}
shift 2 2>/dev/null || shift $# 
W=$(mktemp -d /tmp/psig-rekor2.XXXXXX)
trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
for p in src/PrivateSigstore.Rekor load-tests/PrivateSigstore.LoadTests; do dotnet build -c Release "$p" -v q -nologo >/dev/null; done
L=load-tests/PrivateSigstore.LoadTests/bin/Release/net10.0/PrivateSigstore.LoadTests.dll
dotnet src/PrivateSigstore.Rekor/bin/Release/net10.0/PrivateSigstore.Rekor.dll v2 serve --urls http://127.0.0.1:13001 \
    --RekorV2:DataDirectory "$W/data" --Logging:LogLevel:Default=Warning "$@" > "$W/server.log" 2>&1 &
for _ in $(seq 60); do curl -sf http://127.0.0.1:13001/api/v2/checkpoint >/dev/null && break; sleep 1; done
uptime >&2
dotnet "$L" rekor2-append --url http://127.0.0.1:13001 --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 15 \
    --presign 1000000 --json "rekor2-append-c$CONCURRENCY.json"
