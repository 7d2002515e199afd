#!/usr/bin/env bash
# Measures the timestamp authority's issuance rate with its signing key in SoftHSM2 (load-tests scenario tsa-stamp), as
# recorded in docs/performance.md. Everything runs on 127.0.0.1 and stops by itself.
#   load-tests/scripts/tsa-hsm.sh [duration-seconds] [concurrency] [der|json] [max-sessions]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-60}
CONCURRENCY=${2:-64}
FORMAT=${3:-der}
SESSIONS=${4:-8}
W=$(mktemp -d /tmp/psig-tsa-hsm.XXXXXX)
trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
for p in src/PrivateSigstore.Timestamp load-tests/PrivateSigstore.LoadTests; do dotnet build -c Release "$p" -v q -nologo >/dev/null; done
L=load-tests/PrivateSigstore.LoadTests/bin/Release/net10.0/PrivateSigstore.LoadTests.dll
T=src/PrivateSigstore.Timestamp/bin/Release/net10.0/PrivateSigstore.Timestamp.dll

# A private SoftHSM2 token, and the TSA key ceremony in it (root P-384, TSA key P-256, both generated in the token).
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/tokens" > "$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf"
softhsm2-util --init-token --free --label perf --pin 1234 --so-pin 5678 >/dev/null
printf 1234 > "$W/pin"
dotnet "$T" ceremony --token-label perf --pin-file "$W/pin" --out "$W/tsa-chain.pem" >/dev/null

dotnet "$T" --urls http://127.0.0.1:13004 --Timestamp:DataDirectory "$W/tsa" \
    --Timestamp:Key:Provider Pkcs11 --Timestamp:Key:KeyLabel privatesigstore-tsa --Timestamp:Key:Pkcs11:TokenLabel perf \
    --Timestamp:Key:Pkcs11:PinFile "$W/pin" --Timestamp:Key:Pkcs11:MaxSessions "$SESSIONS" \
    --Timestamp:CertificateChainPath "$W/tsa-chain.pem" \
    --Logging:LogLevel:Default=Warning > "$W/tsa.log" 2>&1 &
TSA_PID=$!
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:13004/readyz >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs http://127.0.0.1:13004/readyz >/dev/null || { cat "$W/tsa.log"; exit 1; }
dotnet "$L" tsa-stamp --url http://127.0.0.1:13004 --format "$FORMAT" --concurrency "$CONCURRENCY" --duration "$DURATION" \
    --warmup 10 --json "tsa-stamp-$FORMAT-c$CONCURRENCY.json"
# The authority's own CPU time for the whole run (start-up, check, warm-up and timed phase), from /proc.
awk -v hz="$(getconf CLK_TCK)" '{ printf "tsa process CPU: user %.1f s, system %.1f s\n", $14 / hz, $15 / hz }' "/proc/$TSA_PID/stat" >&2
