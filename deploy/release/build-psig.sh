#!/usr/bin/env bash
# Builds psig as a self-contained single-file linux-x64 binary (ReadyToRun, no .NET SDK or runtime needed on the
# target) and packages it as a release tarball with a SHA-256 checksum:
#
#   deploy/release/build-psig.sh [VERSION]        # default VERSION: git describe, else "dev"
#
# Output (OUT, default artifacts/release): psig-VERSION-linux-x64.tar.gz and psig-VERSION-linux-x64.tar.gz.sha256
# (sha256sum format). Install: sha256sum -c psig-VERSION-linux-x64.tar.gz.sha256 && tar -xzf psig-VERSION-linux-x64.tar.gz
# && install psig-VERSION-linux-x64/psig /usr/local/bin/psig.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=${1:-$(git -C "$root" describe --tags --always 2>/dev/null || echo dev)}
rid=linux-x64
out=${OUT:-$root/artifacts/release}
name="psig-$version-$rid"

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

# Self-contained single file, ReadyToRun (precompiled: fast cold start), invariant globalization (no libicu needed).
# (The RID-specific intermediate files go to obj/Release/net10.0/linux-x64, beside the checkout's own build.)
dotnet publish "$root/src/PrivateSigstore.Cli/PrivateSigstore.Cli.csproj" -c Release -r "$rid" --self-contained true \
  -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false \
  "${version_props[@]}" -o "$stage/$name" -nologo -v q

if [[ ! -x "$stage/$name/psig" ]]; then
  echo "build-psig.sh: the publish left no psig binary in $stage/$name" >&2
  exit 1
fi
# Only the binary and a note travel: no .pdb, no .xml.
find "$stage/$name" -type f ! -name psig -delete
cat > "$stage/$name/README.txt" <<NOTE
psig $version for $rid: a self-contained build of PrivateSigstore's psig (no .NET installation needed).
Run ./psig --help. Documentation: docs/client.md in the PrivateSigstore repository.
A signature is an integrity and identity receipt, not a safety verdict.
NOTE

mkdir -p "$out"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
echo "$out/$name.tar.gz.sha256"
