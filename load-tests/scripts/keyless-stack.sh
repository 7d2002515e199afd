#!/usr/bin/env bash
# Measures complete keyless signings (token → certificate with embedded SCT → Rekor entry) against the embedded stack,
# as recorded in docs/performance.md. The stack runs as the README's first command does (keys in its own SoftHSM2 token
# when SoftHSM2 is installed), with the load-test identity (static JWKS) as its CA's issuer. Loopback only; stops by itself.
#   load-tests/scripts/keyless-stack.sh [duration-seconds] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-60}
CONCURRENCY=${2:-64}
W=$(mktemp -d /tmp/psig-keyless.XXXXXX)
trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
for p in src/PrivateSigstore.Stack load-tests/PrivateSigstore.LoadTests; do dotnet build -c Release "$p" -v q -nologo >/dev/null; done
L=load-tests/PrivateSigstore.LoadTests/bin/Release/net10.0/PrivateSigstore.LoadTests.dll
dotnet "$L" fulcio-setup --dir "$W/id" 2>/dev/null
dotnet src/PrivateSigstore.Stack/bin/Release/net10.0/PrivateSigstore.Stack.dll --data "$W/data" --fulcio-config "$W/id/fulcio-config.json" \
    --rekor-port 13000 --fulcio-port 15555 --ctlog-port 16962 --identity-port 15556 --tsa-port 13004 --rekor-v2-port 13001 ${STACK_ARGS:-} > "$W/stack.log" 2>&1 &
for _ in $(seq 60); do grep -q "Press Ctrl-C" "$W/stack.log" && break; sleep 1; done
grep -E "ready|NOT READY" "$W/stack.log" >&2
dotnet "$L" keyless-sign --fulcio-url http://127.0.0.1:15555 --rekor-url http://127.0.0.1:13000 --setup "$W/id" \
    --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 30 --json "keyless-sign-c$CONCURRENCY.json"
