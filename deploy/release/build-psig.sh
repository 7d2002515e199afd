#!/usr/bin/env bash
# Builds psig as a self-contained linux-x64 binary (no .NET SDK or runtime needed on the target), smoke-tests it
# (deploy/release/smoke-psig.sh) and packages it as a release tarball with a SHA-256 checksum:
#
#   deploy/release/build-psig.sh [VERSION]                   # default VERSION: git describe, else "dev"
#   PSIG_BUILD=r2r deploy/release/build-psig.sh [VERSION]    # the ReadyToRun fallback
#
# PSIG_BUILD=aot (default): NativeAOT, one native file, cold verify-blob in tens of milliseconds (docs/performance.md);
# it needs clang and zlib1g-dev (apt-get install clang zlib1g-dev). PKCS#11 keys are not available in it (psig says so,
# exit 2): sites signing with an HSM use the ReadyToRun build (PSIG_BUILD=r2r, a self-contained single file that runs
# every command) or psig as a dotnet tool. PSIG_SMOKE=0 skips the smoke test (only for testing this script).
#
# Output (OUT, default artifacts/release): psig-VERSION-linux-x64.tar.gz and psig-VERSION-linux-x64.tar.gz.sha256
# (sha256sum format); with PSIG_BUILD=r2r: psig-VERSION-linux-x64-r2r.tar.gz (+ .sha256). Install:
# sha256sum -c psig-VERSION-linux-x64.tar.gz.sha256 && tar -xzf psig-VERSION-linux-x64.tar.gz
# && install psig-VERSION-linux-x64/psig /usr/local/bin/psig.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=${1:-$(git -C "$root" describe --tags --always 2>/dev/null || echo dev)}
rid=linux-x64
out=${OUT:-$root/artifacts/release}
build=${PSIG_BUILD:-aot}
case $build in
  aot) name="psig-$version-$rid" ;;
  r2r) name="psig-$version-$rid-r2r" ;;
  *) echo "build-psig.sh: PSIG_BUILD must be aot or r2r, not '$build'" >&2; exit 2 ;;
esac

if [[ ! "$version" =~ ^[A-Za-z0-9._+-]+$ ]]; then
  echo "build-psig.sh: version '$version' must be letters, digits, '.', '_', '+' or '-'" >&2
  exit 2
fi

# A numeric version (1.2.3, v1.2.3-rc.1) becomes the assembly version; any other (a commit) only the informational one.
version_props=(-p:InformationalVersion="$version")
if [[ "${version#v}" =~ ^[0-9]+(\.[0-9]+){0,3}(-[A-Za-z0-9.-]+)?$ ]]; then
  version_props+=(-p:Version="${version#v}")
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Both: self-contained, invariant globalization (no libicu needed), no symbols or XML docs.
# (The RID-specific intermediate files go to obj/Release/net10.0/linux-x64, beside the checkout's own build.)
common=(-c Release -r "$rid" --self-contained true -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false)
if [ "$build" = aot ]; then
  # NativeAOT: compiled ahead of time to one native executable (the ILCompiler package is picked by the SDK).
  if ! command -v clang >/dev/null 2>&1; then
    echo "build-psig.sh: NativeAOT needs clang and zlib1g-dev (apt-get install clang zlib1g-dev), or build the ReadyToRun fallback with PSIG_BUILD=r2r" >&2
    exit 2
  fi
  dotnet publish "$root/src/PrivateSigstore.Cli/PrivateSigstore.Cli.csproj" "${common[@]}" -p:PublishAot=true \
    "${version_props[@]}" -o "$stage/$name" -nologo -v q
else
  # ReadyToRun single file: precompiled IL plus the runtime, every command available (PKCS#11 too).
  dotnet publish "$root/src/PrivateSigstore.Cli/PrivateSigstore.Cli.csproj" "${common[@]}" \
    -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:IncludeNativeLibrariesForSelfExtract=true \
    "${version_props[@]}" -o "$stage/$name" -nologo -v q
fi

if [[ ! -x "$stage/$name/psig" ]]; then
  echo "build-psig.sh: the publish left no psig binary in $stage/$name" >&2
  exit 1
fi
# Only the binary and a note travel: no .pdb, .dbg or .xml.
find "$stage/$name" -type f ! -name psig -delete
if [ "${PSIG_SMOKE:-1}" != 0 ]; then
  "$root/deploy/release/smoke-psig.sh" "$stage/$name/psig" >&2
fi
cat > "$stage/$name/README.txt" <<NOTE
psig $version for $rid ($build): a self-contained build of PrivateSigstore's psig (no .NET installation needed).
Run ./psig --help. Documentation: docs/client.md in the PrivateSigstore repository.
A signature is an integrity and identity receipt, not a safety verdict.
NOTE

mkdir -p "$out"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
echo "$out/$name.tar.gz.sha256"
