#!/bin/bash
# Key initialisation (the key ceremony) for the container deployments: compose's keys-init service and Kubernetes'
# fulcio-ceremony Job run it once in the Fulcio image. Idempotent: everything that exists is kept, nothing is ever
# overwritten (service TLS certificates are renewed when they expire within 30 days or do not chain to the internal CA).
#   1. two SoftHSM2 tokens: the online token PSIG_HSM_TOKEN_LABEL (the CA's SOFTHSM2_CONF tokendir, the volume Fulcio
#      mounts) and the root token PSIG_HSM_ROOT_TOKEN_LABEL in PSIG_HSM_ROOT_TOKEN_DIR, a separate volume that no
#      running service mounts (PINs and SO PINs from files, never on the command line of a long-lived process);
#   2. Fulcio's key ceremony: the root key in the root token, the intermediate in the online token (both
#      non-extractable) → chain + root PEM in PSIG_CA_DIR. SoftHSM2 reads one token directory per process, so the ceremony
#      runs on a staged copy of both tokens (in $TMPDIR) that is copied back to each token's own directory;
#   3. the CT log and Rekor signing keys (and with PSIG_REKOR_V2_KEY_DIR the Rekor v2 checkpoint key, Ed25519) as PKCS#8
#      PEM files (0600) with their public halves in PSIG_CA_DIR;
#   4. the internal TLS CA (PSIG_TLS_CA_DIR, a directory only this script sees; its certificate is
#      PSIG_CA_DIR/internal-ca.pem) and one server certificate per service in PSIG_TLS_SERVICES, written to
#      PSIG_TLS_DIR/<service>/tls.crt and tls.key (subjectAltName: the service name, its PSIG_TLS_DOMAIN_SUFFIXES forms,
#      localhost, 127.0.0.1 and PSIG_TLS_EXTRA_SANS);
#   5. with PSIG_TSA_KEY_DIR, the timestamp authority's signing key (ECDSA P-256 PEM, tsa-key.pem, 0600) and its chain
#      (tsa-chain.pem: the TSA certificate, end-entity with the one critical EKU timeStamping RFC 3161 requires, then a
#      root made for it) in that directory, and the chain and its root in PSIG_CA_DIR (tsa-chain.pem,
#      tsa-chain.root.pem) for the trusted root. The TSA root's key stays in PSIG_TSA_ROOT_DIR (a directory only this
#      script sees), or, when that is empty, is destroyed once it has signed (the chain cannot be renewed then: a new
#      root goes into the trusted root instead). For a TSA key in an HSM run `PrivateSigstore.Timestamp ceremony`
#      instead (docs/operations.md).
# Setting PSIG_HSM_ROOT_TOKEN_LABEL empty keeps the root in the online token: a lab shortcut, never for production.
set -euo pipefail

: "${PSIG_HSM_TOKEN_LABEL:=fulcio}"
: "${PSIG_HSM_PIN_FILE:=/run/secrets/hsm_pin}"
: "${PSIG_HSM_SO_PIN_FILE:=/run/secrets/hsm_so_pin}"
: "${PSIG_HSM_ROOT_TOKEN_LABEL=fulcio-root}"
: "${PSIG_HSM_ROOT_TOKEN_DIR:=/var/lib/softhsm/root-tokens}"
: "${PSIG_HSM_ROOT_PIN_FILE:=/run/secrets/hsm_root_pin}"
: "${PSIG_HSM_ROOT_SO_PIN_FILE:=/run/secrets/hsm_root_so_pin}"
: "${PSIG_CA_DIR:=/var/lib/privatesigstore/ca}"
: "${PSIG_CTLOG_KEY_DIR:=/var/lib/privatesigstore/keys/ctlog}"
: "${PSIG_REKOR_KEY_DIR:=/var/lib/privatesigstore/keys/rekor}"
: "${PSIG_REKOR_V2_KEY_DIR:=}"   # set: also the Rekor v2 checkpoint key (Ed25519, rekor-v2-key.pem)
: "${PSIG_FULCIO_DLL:=/app/PrivateSigstore.Fulcio.dll}"
: "${PSIG_ORGANIZATION:=PrivateSigstore}"
: "${PSIG_PKCS11_MODULE:=/usr/lib/softhsm/libsofthsm2.so}"
: "${PSIG_CEREMONY:=true}"   # false: skip steps 1-2 (e.g. only the TLS material, for Kubernetes Secrets)
: "${PSIG_LOG_KEYS:=true}"   # false: skip step 3 (Kubernetes takes the log keys from Secrets)
: "${PSIG_TLS_CA_DIR:=}"     # empty: skip step 4
: "${PSIG_TLS_DIR:=/var/lib/privatesigstore/tls}"
: "${PSIG_TLS_SERVICES:=}"
: "${PSIG_TLS_DOMAIN_SUFFIXES:=}"
: "${PSIG_TLS_EXTRA_SANS:=}"
: "${PSIG_TSA_KEY_DIR:=}"    # empty: skip step 5
: "${PSIG_TSA_ROOT_DIR:=}"

log() { printf 'keys-init: %s\n' "$*" >&2; }
umask 077
softhsm_conf="${SOFTHSM2_CONF:-/etc/softhsm/softhsm2.conf}"

work="$(mktemp -d "${TMPDIR:-/tmp}/psig-keys.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "${PSIG_CA_DIR}"
if [ "${PSIG_CEREMONY}" = "true" ]; then
# 1. The tokens. The online token directory comes from SoftHSM2's configuration (created on a fresh volume).
tokendir="$(sed -n 's/^[[:space:]]*directories\.tokendir[[:space:]]*=[[:space:]]*//p' "$softhsm_conf" | tail -n1)"
[ -n "$tokendir" ] || { log "no directories.tokendir in $softhsm_conf"; exit 2; }
mkdir -p "$tokendir"
has_token() { # has_token <softhsm2.conf> <label>
  SOFTHSM2_CONF="$1" softhsm2-util --show-slots 2>/dev/null | grep -Eq "Label:[[:space:]]+$2[[:space:]]*$"
}
init_token() { # init_token <softhsm2.conf> <label> <pin file> <so pin file>
  if has_token "$1" "$2"; then
    log "token '$2' exists"
  else
    log "initialising SoftHSM2 token '$2'"
    # Through PKCS#11, PINs read from the files: softhsm2-util would show them in the process list (--pin/--so-pin).
    SOFTHSM2_CONF="$1" dotnet "${PSIG_FULCIO_DLL}" ca init-token --module "${PSIG_PKCS11_MODULE}" --token-label "$2" \
      --pin-file "$3" --so-pin-file "$4" >/dev/null
  fi
}
conf_for() { # conf_for <name> <tokendir>: a SoftHSM2 configuration for another token directory
  printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$2" > "$work/$1.conf"
  echo "$work/$1.conf"
}
init_token "$softhsm_conf" "${PSIG_HSM_TOKEN_LABEL}" "${PSIG_HSM_PIN_FILE}" "${PSIG_HSM_SO_PIN_FILE}"
if [ -n "${PSIG_HSM_ROOT_TOKEN_LABEL}" ]; then
  mkdir -p "${PSIG_HSM_ROOT_TOKEN_DIR}"
  [ "$(cd "${PSIG_HSM_ROOT_TOKEN_DIR}" && pwd -P)" != "$(cd "$tokendir" && pwd -P)" ] \
    || { log "the root token directory must not be the online token directory ($tokendir)"; exit 2; }
  init_token "$(conf_for root "${PSIG_HSM_ROOT_TOKEN_DIR}")" "${PSIG_HSM_ROOT_TOKEN_LABEL}" "${PSIG_HSM_ROOT_PIN_FILE}" "${PSIG_HSM_ROOT_SO_PIN_FILE}"
fi

# 2. The CA chain (the ceremony refuses to overwrite a chain, so only run it when there is none).
if [ -s "${PSIG_CA_DIR}/ca-chain.pem" ]; then
  log "CA chain exists: ${PSIG_CA_DIR}/ca-chain.pem"
elif [ -z "${PSIG_HSM_ROOT_TOKEN_LABEL}" ]; then
  log "running the key ceremony with root and intermediate in token '${PSIG_HSM_TOKEN_LABEL}' (lab shortcut: no offline root)"
  dotnet "${PSIG_FULCIO_DLL}" ca ceremony --module "${PSIG_PKCS11_MODULE}" --token-label "${PSIG_HSM_TOKEN_LABEL}" \
    --pin-file "${PSIG_HSM_PIN_FILE}" --organization "${PSIG_ORGANIZATION}" --out "${PSIG_CA_DIR}/ca-chain.pem"
else
  log "running the key ceremony: root in token '${PSIG_HSM_ROOT_TOKEN_LABEL}', intermediate in token '${PSIG_HSM_TOKEN_LABEL}'"
  mkdir -p "$work/tokens"
  online_dirs=(); root_dirs=()
  for d in "$tokendir"/*/; do [ -d "$d" ] || continue; d="${d%/}"; online_dirs+=("${d##*/}"); cp -a "$d" "$work/tokens/"; done
  for d in "${PSIG_HSM_ROOT_TOKEN_DIR}"/*/; do [ -d "$d" ] || continue; d="${d%/}"; root_dirs+=("${d##*/}"); cp -a "$d" "$work/tokens/"; done
  SOFTHSM2_CONF="$(conf_for staged "$work/tokens")" dotnet "${PSIG_FULCIO_DLL}" ca ceremony --module "${PSIG_PKCS11_MODULE}" \
    --token-label "${PSIG_HSM_TOKEN_LABEL}" --pin-file "${PSIG_HSM_PIN_FILE}" \
    --root-token-label "${PSIG_HSM_ROOT_TOKEN_LABEL}" --root-pin-file "${PSIG_HSM_ROOT_PIN_FILE}" \
    --organization "${PSIG_ORGANIZATION}" --out "$work/ca-chain.pem"
  put_back() { # put_back <destination> <token dir names...>
    local dest="$1" name; shift
    for name in "$@"; do
      rm -rf "$dest/.$name.new" && cp -a "$work/tokens/$name" "$dest/.$name.new" && rm -rf "${dest:?}/$name" && mv "$dest/.$name.new" "$dest/$name"
    done
  }
  put_back "$tokendir" "${online_dirs[@]}"
  put_back "${PSIG_HSM_ROOT_TOKEN_DIR}" "${root_dirs[@]}"
  cp "$work/ca-chain.root.pem" "${PSIG_CA_DIR}/ca-chain.root.pem"
  cp "$work/ca-chain.pem" "${PSIG_CA_DIR}/ca-chain.pem"   # last: its presence means the ceremony is complete
  log "the root key is in token '${PSIG_HSM_ROOT_TOKEN_LABEL}' (${PSIG_HSM_ROOT_TOKEN_DIR}): back it up and keep it offline"
fi
fi

# 3. The log keys (ECDSA P-256, what Sigstore clients verify SETs, checkpoints and SCTs with).
log_key() { # log_key <dir> <name> [ed25519]
  local dir="$1" name="$2"
  mkdir -p "$dir"
  if [ ! -s "$dir/$name-key.pem" ]; then
    log "generating the $name signing key"
    if [ "${3:-}" = "ed25519" ]; then
      openssl genpkey -algorithm ed25519 -out "$dir/$name-key.pem.tmp"
    else
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name-key.pem.tmp"
    fi
    mv "$dir/$name-key.pem.tmp" "$dir/$name-key.pem"
  fi
  (umask 022; openssl pkey -in "$dir/$name-key.pem" -pubout -out "${PSIG_CA_DIR}/$name-public.pem")
}
if [ "${PSIG_LOG_KEYS}" = "true" ]; then
  log_key "${PSIG_CTLOG_KEY_DIR}" ctlog
  log_key "${PSIG_REKOR_KEY_DIR}" rekor
  [ -z "${PSIG_REKOR_V2_KEY_DIR}" ] || log_key "${PSIG_REKOR_V2_KEY_DIR}" rekor-v2 ed25519
fi

# 4. Internal TLS: a CA for the services' own traffic (not the Sigstore CA) and one server certificate per service.
if [ -n "${PSIG_TLS_CA_DIR}" ]; then
  mkdir -p "${PSIG_TLS_CA_DIR}"
  ca_key="${PSIG_TLS_CA_DIR}/internal-ca.key" ca_crt="${PSIG_TLS_CA_DIR}/internal-ca.pem"
  if [ ! -s "$ca_crt" ]; then
    log "creating the internal TLS CA"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ca_key" -out "$ca_crt.tmp" -days 3650 \
      -subj "/O=${PSIG_ORGANIZATION}/CN=${PSIG_ORGANIZATION} internal TLS CA" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    mv "$ca_crt.tmp" "$ca_crt"
  fi
  (umask 022; cp "$ca_crt" "${PSIG_CA_DIR}/internal-ca.pem")
  for service in ${PSIG_TLS_SERVICES}; do
    dir="${PSIG_TLS_DIR}/${service}"
    mkdir -p "$dir"
    if [ -s "$dir/tls.crt" ] && openssl x509 -checkend 2592000 -noout -in "$dir/tls.crt" >/dev/null \
       && openssl verify -CAfile "$ca_crt" "$dir/tls.crt" >/dev/null 2>&1; then
      continue
    fi
    log "issuing the TLS server certificate of ${service}"
    sans="DNS:${service}"
    for suffix in ${PSIG_TLS_DOMAIN_SUFFIXES}; do sans+=",DNS:${service}${suffix}"; done
    sans+=",DNS:localhost,IP:127.0.0.1${PSIG_TLS_EXTRA_SANS:+,${PSIG_TLS_EXTRA_SANS}}"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/tls.key.tmp" -out "$work/$service.csr" \
      -subj "/O=${PSIG_ORGANIZATION}/CN=${service}" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$sans" > "$work/$service.ext"
    openssl x509 -req -in "$work/$service.csr" -CA "$ca_crt" -CAkey "$ca_key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 397 -extfile "$work/$service.ext" -out "$dir/tls.crt.tmp" 2>/dev/null
    mv "$dir/tls.key.tmp" "$dir/tls.key" && mv "$dir/tls.crt.tmp" "$dir/tls.crt"
    chmod 0644 "$dir/tls.crt"
  done
fi
# 5. The timestamp authority's key and chain.
if [ -n "${PSIG_TSA_KEY_DIR}" ]; then
  log_key "${PSIG_TSA_KEY_DIR}" tsa
  if [ ! -s "${PSIG_TSA_KEY_DIR}/tsa-chain.pem" ]; then
    root_dir="${PSIG_TSA_ROOT_DIR:-$work/tsa-root}"
    mkdir -p "$root_dir"
    if [ ! -s "$root_dir/tsa-root.pem" ]; then
      log "creating the TSA root"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$root_dir/tsa-root.key" -out "$root_dir/tsa-root.pem.tmp" \
        -days 3650 -subj "/O=${PSIG_ORGANIZATION}/CN=${PSIG_ORGANIZATION} TSA root" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
      mv "$root_dir/tsa-root.pem.tmp" "$root_dir/tsa-root.pem"
    fi
    log "issuing the TSA certificate"
    openssl req -new -key "${PSIG_TSA_KEY_DIR}/tsa-key.pem" -out "$work/tsa.csr" -subj "/O=${PSIG_ORGANIZATION}/CN=${PSIG_ORGANIZATION} timestamp authority" 2>/dev/null
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$work/tsa.ext"
    openssl x509 -req -in "$work/tsa.csr" -CA "$root_dir/tsa-root.pem" -CAkey "$root_dir/tsa-root.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 1825 -extfile "$work/tsa.ext" -out "$work/tsa.crt" 2>/dev/null
    cat "$work/tsa.crt" "$root_dir/tsa-root.pem" > "${PSIG_TSA_KEY_DIR}/tsa-chain.pem.tmp"
    (umask 022; cp "$root_dir/tsa-root.pem" "${PSIG_CA_DIR}/tsa-chain.root.pem"; cp "${PSIG_TSA_KEY_DIR}/tsa-chain.pem.tmp" "${PSIG_CA_DIR}/tsa-chain.pem")
    chmod 0644 "${PSIG_TSA_KEY_DIR}/tsa-chain.pem.tmp"
    mv "${PSIG_TSA_KEY_DIR}/tsa-chain.pem.tmp" "${PSIG_TSA_KEY_DIR}/tsa-chain.pem"   # last: its presence means step 5 is complete
    [ -n "${PSIG_TSA_ROOT_DIR}" ] || log "the TSA root key was destroyed after signing (PSIG_TSA_ROOT_DIR is empty)"
  fi
fi
! compgen -G "${PSIG_CA_DIR}/*.pem" >/dev/null || chmod 0644 "${PSIG_CA_DIR}"/*.pem
log "done: the keys are in place"
if [ "${PSIG_PRINT_ROOT:-false}" = "true" ]; then cat "${PSIG_CA_DIR}/ca-chain.root.pem"; fi
