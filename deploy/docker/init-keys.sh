#!/bin/bash
# First-start key initialisation for the compose deployment (run once by the keys-init service, in the Fulcio image).
# Idempotent: everything that exists is kept, nothing is ever overwritten.
#   1. the SoftHSM2 token PSIG_HSM_TOKEN_LABEL (PIN and SO PIN from files, never the command line of a long-lived process);
#   2. Fulcio's key ceremony in that token (root + intermediate, non-extractable) → chain + root PEM in PSIG_CA_DIR;
#   3. the CT log and Rekor signing keys as PKCS#8 PEM files (0600) with their public halves in PSIG_CA_DIR.
# Production sites keep the root offline (ceremony with --root-token-label on a separate token) and may put the log keys
# in an HSM as well: see docs/operations.md, "Deployment: key ceremony".
set -euo pipefail

: "${PSIG_HSM_TOKEN_LABEL:=fulcio}"
: "${PSIG_HSM_PIN_FILE:=/run/secrets/hsm_pin}"
: "${PSIG_HSM_SO_PIN_FILE:=/run/secrets/hsm_so_pin}"
: "${PSIG_CA_DIR:=/var/lib/privatesigstore/ca}"
: "${PSIG_CTLOG_KEY_DIR:=/var/lib/privatesigstore/keys/ctlog}"
: "${PSIG_REKOR_KEY_DIR:=/var/lib/privatesigstore/keys/rekor}"
: "${PSIG_FULCIO_DLL:=/app/PrivateSigstore.Fulcio.dll}"
: "${PSIG_ORGANIZATION:=PrivateSigstore}"
: "${PSIG_PKCS11_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
: "${PSIG_LOG_KEYS:=true}"   # false: skip step 3 (Kubernetes takes the log keys from Secrets)

log() { printf 'keys-init: %s\n' "$*" >&2; }
umask 077

# 1. The token (its directory comes from SoftHSM2's configuration; created when it is on a fresh volume).
tokendir="$(sed -n 's/^[[:space:]]*directories\.tokendir[[:space:]]*=[[:space:]]*//p' "${SOFTHSM2_CONF:-/etc/softhsm/softhsm2.conf}" | tail -n1)"
[ -z "$tokendir" ] || mkdir -p "$tokendir"
if softhsm2-util --show-slots 2>/dev/null | grep -Eq "Label:[[:space:]]+${PSIG_HSM_TOKEN_LABEL}[[:space:]]*$"; then
  log "token '${PSIG_HSM_TOKEN_LABEL}' exists"
else
  log "initialising SoftHSM2 token '${PSIG_HSM_TOKEN_LABEL}'"
  # Through PKCS#11, PINs read from the files: softhsm2-util would show them in the process list (--pin/--so-pin).
  dotnet "${PSIG_FULCIO_DLL}" ca init-token --module "${PSIG_PKCS11_MODULE}" --token-label "${PSIG_HSM_TOKEN_LABEL}" \
    --pin-file "${PSIG_HSM_PIN_FILE}" --so-pin-file "${PSIG_HSM_SO_PIN_FILE}" >/dev/null
fi

# 2. The CA chain (the ceremony refuses to overwrite a chain, so only run it when there is none).
mkdir -p "${PSIG_CA_DIR}"
if [ -s "${PSIG_CA_DIR}/ca-chain.pem" ]; then
  log "CA chain exists: ${PSIG_CA_DIR}/ca-chain.pem"
else
  log "running the key ceremony in token '${PSIG_HSM_TOKEN_LABEL}'"
  dotnet "${PSIG_FULCIO_DLL}" ca ceremony --module "${PSIG_PKCS11_MODULE}" --token-label "${PSIG_HSM_TOKEN_LABEL}" \
    --pin-file "${PSIG_HSM_PIN_FILE}" --organization "${PSIG_ORGANIZATION}" --out "${PSIG_CA_DIR}/ca-chain.pem"
fi

# 3. The log keys (ECDSA P-256, what Sigstore clients verify SETs, checkpoints and SCTs with).
log_key() { # log_key <dir> <name>
  local dir="$1" name="$2"
  mkdir -p "$dir"
  if [ ! -s "$dir/$name-key.pem" ]; then
    log "generating the $name signing key"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name-key.pem.tmp"
    mv "$dir/$name-key.pem.tmp" "$dir/$name-key.pem"
  fi
  (umask 022; openssl pkey -in "$dir/$name-key.pem" -pubout -out "${PSIG_CA_DIR}/$name-public.pem")
}
if [ "${PSIG_LOG_KEYS}" = "true" ]; then
  log_key "${PSIG_CTLOG_KEY_DIR}" ctlog
  log_key "${PSIG_REKOR_KEY_DIR}" rekor
fi
chmod 0644 "${PSIG_CA_DIR}"/*.pem
log "done: the keys are in place"
if [ "${PSIG_PRINT_ROOT:-false}" = "true" ]; then cat "${PSIG_CA_DIR}/ca-chain.root.pem"; fi
