#!/usr/bin/env bash
# Runs a built psig binary (the release's NativeAOT or ReadyToRun build) through the commands that must work in it,
# offline, against the repository's test data: every sigstore-conformance bundle-verify case (keyless and key-based,
# Rekor v1 and v2, custom trusted roots; each must pass or fail as the suite expects), verify-blob with an identity and
# with a key, a refused identity (exit 1, one line), generate-key-pair (a file key, and a key in a SoftHSM2 token when
# softhsm2-util is installed), the gate with a YAML policy, and record verify.
#
#   deploy/release/smoke-psig.sh PATH/TO/psig
#
# Exit 0 when every check passed; otherwise the failed checks are listed and the exit is 1. build-psig.sh runs it on
# the binary it packages, so a release never ships a binary that crashes on one of these commands.
set -uo pipefail

psig=${1:?usage: smoke-psig.sh PATH/TO/psig}
psig=$(cd "$(dirname "$psig")" && pwd)/$(basename "$psig")
root=$(cd "$(dirname "$0")/../.." && pwd)
data=$root/tests/PrivateSigstore.Client.Tests/testdata/conformance/bundle-verify
id_default=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
issuer_default=https://token.actions.githubusercontent.com
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No TUF cache of the user's: the embedded public-good root is the default, as for a fresh install.
export PSIG_HOME=$work/home

failures=()
checks=0
# check NAME EXPECTED_EXIT CMD...: runs CMD; its exit must be EXPECTED_EXIT ("nonzero": anything but 0), and a crash
# (an unhandled exception's stack trace, or a signal) always fails.
check() {
  local name=$1 expected=$2; shift 2
  checks=$((checks + 1))
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  local ok=1
  if [ "$expected" = nonzero ]; then [ "$rc" -ne 0 ] || ok=0; else [ "$rc" -eq "$expected" ] || ok=0; fi
  if [ "$rc" -ge 128 ] || grep -q -E '^\s+at [A-Za-z_.]+|Unhandled exception|MissingMetadataException|NotSupportedException' "$work/err" "$work/out"; then ok=0; fi
  if [ "$ok" -ne 1 ]; then
    failures+=("$name (exit $rc, expected $expected): $(head -c 400 "$work/err" | tr '\n' ' ')")
  fi
}
# contains NAME TEXT FILE: the last check's output holds TEXT.
contains() {
  checks=$((checks + 1))
  grep -q -F -- "$2" "$work/$3" || failures+=("$1: '$2' not in $3: $(head -c 400 "$work/$3" | tr '\n' ' ')")
}

check "--help" 0 "$psig" --help
contains "--help lists verify-blob" "verify-blob" out
check "bare psig" 0 "$psig"
contains "bare psig lists the commands" "Commands:" out

# Every conformance case, as tests/PrivateSigstore.Cli.Tests/VerifyBundleConformanceTests.cs drives it.
for dir in "$data"/*/; do
  name=$(basename "$dir")
  args=(verify-bundle --bundle "$dir/bundle.sigstore.json")
  if [ -f "$dir/key.pub" ]; then
    args+=(--key "$dir/key.pub")
  else
    identity=$id_default; issuer=$issuer_default
    [ -f "$dir/identity" ] && identity=$(tr -d '\n' < "$dir/identity")
    [ -f "$dir/issuer" ] && issuer=$(tr -d '\n' < "$dir/issuer")
    args+=(--certificate-identity "$identity" --certificate-oidc-issuer "$issuer")
  fi
  [ -f "$dir/trusted_root.json" ] && args+=(--trusted-root "$dir/trusted_root.json")
  artifact=$data/a.txt
  [ -f "$dir/artifact" ] && artifact=$dir/artifact
  args+=("$artifact")
  case $name in
    *_fail) check "verify-bundle $name" nonzero "$psig" "${args[@]}" ;;
    *) check "verify-bundle $name" 0 "$psig" "${args[@]}" ;;
  esac
done

# verify-blob, keyless and with a key; a wrong identity is refused with one line.
check "verify-blob keyless" 0 "$psig" verify-blob "$data/a.txt" --bundle "$data/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity "$id_default" --certificate-oidc-issuer "$issuer_default"
contains "verify-blob keyless says Verified OK" "Verified OK" out
check "verify-blob keyless, own trusted root" 0 "$psig" verify-blob "$data/a.txt" --bundle "$data/rekor2-happy-path/bundle.sigstore.json" \
  --trusted-root "$data/rekor2-happy-path/trusted_root.json" --certificate-identity "$id_default" --certificate-oidc-issuer "$issuer_default"
check "verify-blob --key" 0 "$psig" verify-blob "$data/a.txt" --bundle "$data/managed-key-and-trusted-root/bundle.sigstore.json" \
  --key "$data/managed-key-and-trusted-root/key.pub" --trusted-root "$data/managed-key-and-trusted-root/trusted_root.json"
contains "verify-blob --key says Verified OK" "Verified OK" out
check "verify-blob, wrong identity" 1 "$psig" verify-blob "$data/a.txt" --bundle "$data/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity https://example.com/someone-else --certificate-oidc-issuer "$issuer_default"
contains "a wrong identity is named" "someone-else" err
check "verify-blob, missing bundle" 1 "$psig" verify-blob "$data/a.txt" --bundle "$work/none.json" --certificate-identity x --certificate-oidc-issuer y

# generate-key-pair: an encrypted file key, and (with SoftHSM2) a key inside a PKCS#11 token.
check "generate-key-pair" 0 env PSIG_KEY_PASSWORD=smoke-password "$psig" generate-key-pair --output-key-prefix "$work/smoke"
[ -s "$work/smoke.pub" ] && [ -s "$work/smoke.key" ] || failures+=("generate-key-pair wrote no smoke.key/smoke.pub")
if command -v softhsm2-util >/dev/null 2>&1; then
  module=""
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do [ -e "$m" ] && module=$m; done
  mkdir -p "$work/tokens"
  printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$work/tokens" > "$work/softhsm2.conf"
  if [ -n "$module" ] && SOFTHSM2_CONF=$work/softhsm2.conf softhsm2-util --init-token --free --label psig-smoke --pin 1234 --so-pin 5678 >/dev/null; then
    # The NativeAOT build refuses PKCS#11 keys with one line (exit 2); a ReadyToRun build makes the key.
    env SOFTHSM2_CONF="$work/softhsm2.conf" PSIG_PKCS11_MODULE="$module" PSIG_PKCS11_PIN=1234 \
      "$psig" generate-key-pair --pkcs11 "pkcs11:token=psig-smoke;object=smoke-key" --output-key-prefix "$work/hsm" >/dev/null 2>"$work/pkcs11.err"
    if grep -q "not available in this psig build (NativeAOT" "$work/pkcs11.err"; then
      check "generate-key-pair --pkcs11 (NativeAOT: refused)" 2 env SOFTHSM2_CONF="$work/softhsm2.conf" PSIG_PKCS11_MODULE="$module" PSIG_PKCS11_PIN=1234 \
        "$psig" generate-key-pair --pkcs11 "pkcs11:token=psig-smoke;object=smoke-key" --output-key-prefix "$work/hsm"
      [ "$(wc -l < "$work/err")" -eq 1 ] || failures+=("the NativeAOT PKCS#11 refusal is not one line")
    else
      check "generate-key-pair --pkcs11" 0 env SOFTHSM2_CONF="$work/softhsm2.conf" PSIG_PKCS11_MODULE="$module" PSIG_PKCS11_PIN=1234 \
        "$psig" generate-key-pair --pkcs11 "pkcs11:token=psig-smoke;object=smoke-key2" --output-key-prefix "$work/hsm"
      [ -s "$work/hsm.pub" ] || failures+=("generate-key-pair --pkcs11 wrote no hsm.pub")
    fi
  else
    failures+=("softhsm2-util is installed but no token could be made (module: ${module:-none})")
  fi
fi

# The gate: a YAML policy (key authority) allows the signed artifact and refuses one no policy matches; the record replays.
mkdir -p "$work/gate/tools"
cp "$data/a.txt" "$work/gate/tools/a.txt"
cp "$data/managed-key-and-trusted-root/bundle.sigstore.json" "$work/gate/tools/a.txt.sigstore.json"
cp "$data/managed-key-and-trusted-root/trusted_root.json" "$work/gate/trusted_root.json"
cp "$data/managed-key-and-trusted-root/key.pub" "$work/gate/key.pub"
cat > "$work/gate/policy.yaml" <<'YAML'
trustedRoot: trusted_root.json
policies:
  - name: tools
    match: ["tools/**"]
    authorities:
      - key:
          path: key.pub
YAML
check "gate check (allowed)" 0 "$psig" gate check "$work/gate/tools/a.txt" --policy "$work/gate/policy.yaml" --record "$work/gate/record.json"
check "record verify" 0 "$psig" record verify "$work/gate/record.json"
cp "$data/a.txt" "$work/gate/other.txt"
check "gate check (no policy matches)" 1 "$psig" gate check "$work/gate/other.txt" --policy "$work/gate/policy.yaml" --bundle "$work/gate/tools/a.txt.sigstore.json"
printf 'policies:\n  - name: x\n    bogus: 1\n' > "$work/gate/bad.yaml"
check "gate check (unknown policy key)" 2 "$psig" gate check "$work/gate/tools/a.txt" --policy "$work/gate/bad.yaml"
contains "the unknown key is named" "bogus" err

if [ "${#failures[@]}" -gt 0 ]; then
  printf 'smoke-psig.sh: FAILED %s:\n' "$psig" >&2
  printf '  %s\n' "${failures[@]}" >&2
  echo "smoke-psig.sh: ${#failures[@]} of $checks checks failed" >&2
  exit 1
fi
echo "smoke-psig.sh: $checks checks passed ($psig)"
