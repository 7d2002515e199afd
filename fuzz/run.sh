#!/usr/bin/env bash
# Fuzzes one parser with AFL++ through SharpFuzz (docs/reliability.md#fuzzing).
#   fuzz/run.sh TARGET [SECONDS]      run afl-fuzz on TARGET (default: until Ctrl-C); findings in fuzz/findings/TARGET
#   fuzz/run.sh --ci [SECONDS]        every target for SECONDS each (default 10); exit 1 if any target crashed or hung
#   fuzz/run.sh --list                the targets
# Needs afl-fuzz (Debian: apt-get install afl++) and the sharpfuzz tool (dotnet tool install -g SharpFuzz.CommandLine
# --version 2.3.0). Builds fuzz/PrivateSigstore.Fuzz into fuzz/out, instruments the PrivateSigstore assemblies there.
set -euo pipefail
cd "$(dirname "$0")"
here="$PWD"
out="${FUZZ_OUT:-$here/out}"
findings="${FUZZ_FINDINGS:-$here/findings}"
export PATH="$PATH:$HOME/.dotnet/tools"

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in
  ""|-h|--help) usage; [ -n "${1:-}" ]; exit $? ;;
esac

command -v afl-fuzz >/dev/null || { echo "error: afl-fuzz not found (apt-get install afl++)" >&2; exit 1; }
command -v sharpfuzz >/dev/null || { echo "error: sharpfuzz not found (dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0)" >&2; exit 1; }

build() {
  if [ -e "$out/.instrumented" ] && [ -z "$(find "$here/PrivateSigstore.Fuzz" "$here/../src" -name '*.cs' -newer "$out/.instrumented" -print -quit)" ]; then return; fi
  rm -rf "$out"
  dotnet publish "$here/PrivateSigstore.Fuzz" -c Release -o "$out/plain" -nologo -v q >/dev/null
  cp -r "$out/plain" "$out/afl"
  # Instrument our own parsers only (not the BCL or third-party packages): coverage feedback where the bugs would be.
  # out/plain stays uninstrumented: instrumented code outside afl-fuzz has no coverage map and cannot replay a finding.
  for dll in "$out/afl"/PrivateSigstore.*.dll; do
    case "$dll" in */PrivateSigstore.Fuzz.dll) continue ;; esac
    sharpfuzz "$dll" >/dev/null
  done
  touch "$out/.instrumented"
}

targets() { dotnet "$out/plain/PrivateSigstore.Fuzz.dll" list; }

fuzz() { # fuzz TARGET SECONDS(0 = until stopped)
  local target="$1" seconds="$2" corpus="$here/corpus/$1"
  [ -d "$corpus" ] || { echo "error: no corpus for target \"$target\" (fuzz/corpus/$target)" >&2; return 2; }
  mkdir -p "$findings"
  local args=(-i "$corpus" -o "$findings/$target" -t 5000 -m none)
  [ "$seconds" -gt 0 ] && args+=(-V "$seconds")
  # dotnet itself is not instrumented (SharpFuzz reports coverage through shared memory, hence AFL_SKIP_BIN_CHECK);
  # SharpFuzz speaks the forkserver protocol itself and loops in-process (Fuzzer.Run is persistent).
  AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_QUIET=1 \
    afl-fuzz "${args[@]}" -- dotnet "$out/afl/PrivateSigstore.Fuzz.dll" afl "$target"
}

stats() { # stats TARGET: one line from fuzzer_stats
  local f="$findings/$1/default/fuzzer_stats"
  [ -e "$f" ] || { echo "$1: no stats"; return; }
  awk -v t="$1" -F' *: *' '{v[$1]=$2} END {printf "%-18s execs %-9s %s/s  run %ss  paths %-5s crashes %s  hangs %s\n", t, v["execs_done"], v["execs_per_sec"], v["run_time"], v["corpus_count"], v["saved_crashes"], v["saved_hangs"]}' "$f"
}

build
case "$1" in
  --list) targets ;;
  --ci)
    seconds="${2:-10}"; failed=0
    rm -rf "$findings"
    for t in $(targets); do
      fuzz "$t" "$seconds" >"$findings.$t.log" 2>&1 || { echo "$t: afl-fuzz failed:"; tail -n 20 "$findings.$t.log"; failed=1; }
      rm -f "$findings.$t.log"
      stats "$t"
      for kind in crashes hangs; do
        for f in "$findings/$t"/default/$kind/id:*; do
          [ -e "$f" ] || continue
          echo "$t: $kind: $f"; failed=1
          dotnet "$out/plain/PrivateSigstore.Fuzz.dll" replay "$t" "$f" 2>&1 | head -n 12 || true
        done
      done
    done
    exit "$failed" ;;
  *)
    targets | grep -qx "$1" || { echo "error: unknown target \"$1\" (fuzz/run.sh --list)" >&2; exit 2; }
    fuzz "$1" "${2:-0}" || true
    stats "$1" ;;
esac
