#!/usr/bin/env bash
# Measures the CA's issuance rate with its issuing key in SoftHSM2 (load-tests scenario fulcio-issue), as recorded in
# docs/performance.md. Everything runs on 127.0.0.1 and stops by itself.
#   load-tests/scripts/fulcio-hsm.sh [duration-seconds] [concurrency] [ct]
# With a third argument "ct", a CT log runs beside the CA and every certificate carries an embedded SCT.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-60}
CONCURRENCY=${2:-64}
WITH_CT=${3:-}
W=$(mktemp -d /tmp/psig-fulcio-hsm.XXXXXX)
trap 'kill -TERM $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$W"' EXIT
for p in src/PrivateSigstore.Fulcio src/PrivateSigstore.CtLog load-tests/PrivateSigstore.LoadTests; do dotnet build -c Release "$p" -v q -nologo >/dev/null; done
L=load-tests/PrivateSigstore.LoadTests/bin/Release/net10.0/PrivateSigstore.LoadTests.dll
F=src/PrivateSigstore.Fulcio/bin/Release/net10.0/PrivateSigstore.Fulcio.dll
C=src/PrivateSigstore.CtLog/bin/Release/net10.0/PrivateSigstore.CtLog.dll

# A private SoftHSM2 token, and the key ceremony in it (root P-384, issuing intermediate P-256).
mkdir -p "$W/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$W/tokens" > "$W/softhsm2.conf"
export SOFTHSM2_CONF="$W/softhsm2.conf"
softhsm2-util --init-token --free --label perf --pin 1234 --so-pin 5678 >/dev/null
printf 1234 > "$W/pin"
dotnet "$F" ca ceremony --token-label perf --pin-file "$W/pin" --out "$W/chain.pem" >/dev/null
dotnet "$L" fulcio-setup --dir "$W/id" 2>/dev/null

CT_ARGS=()
if [ "$WITH_CT" = "ct" ]; then
  awk '/BEGIN/{n++} n==2' "$W/chain.pem" > "$W/root.pem"
  dotnet "$C" --urls http://127.0.0.1:16962 --CtLog:DataDirectory "$W/ct" --CtLog:RootsPemFile "$W/root.pem" \
      --Logging:LogLevel:Default=Warning > "$W/ct.log" 2>&1 &
  sleep 4
  CT_ARGS=(--Fulcio:CtLog:Url http://127.0.0.1:16962)
fi
dotnet "$F" --urls http://127.0.0.1:15555 --Fulcio:DataDirectory "$W/fulcio" --Fulcio:ConfigPath "$W/id/fulcio-config.json" \
    --Fulcio:Key:Provider Pkcs11 --Fulcio:Key:KeyLabel privatesigstore-intermediate --Fulcio:Key:Pkcs11:TokenLabel perf \
    --Fulcio:Key:Pkcs11:PinFile "$W/pin" --Fulcio:ChainPath "$W/chain.pem" "${CT_ARGS[@]}" \
    --Logging:LogLevel:Default=Warning > "$W/fulcio.log" 2>&1 &
sleep 4
dotnet "$L" fulcio-issue --url http://127.0.0.1:15555 --setup "$W/id" --concurrency "$CONCURRENCY" --duration "$DURATION" \
    --warmup 15 --json "fulcio-issue-c$CONCURRENCY${WITH_CT:+-ct}.json"
