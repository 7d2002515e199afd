#!/bin/bash
# privatesigstore-keys.sh: the key ceremony and secrets for the systemd units, run once as root (idempotent: existing
# keys, tokens, passwords and certificates are kept; TLS certificates are renewed within 30 days of expiry).
#   sudo /opt/privatesigstore/deploy/systemd/privatesigstore-keys.sh
# It runs deploy/docker/init-keys.sh (the ceremony the containers use) with the systemd paths:
#   - online token `fulcio` in /var/lib/privatesigstore/fulcio/tokens (softhsm2.conf), owned by the CA's user;
#   - root token `fulcio-root` in PSIG_HSM_ROOT_TOKEN_DIR (default /var/lib/privatesigstore-offline/root-tokens,
#     root-only, no unit can read it): move it to offline media after the ceremony (docs/operations.md);
#   - /etc/privatesigstore/ca/: ca-chain.pem, ca-chain.root.pem, ctlog-public.pem, rekor-public.pem, internal-ca.pem
#     (public, 0644);
#   - /etc/privatesigstore/credentials/ (root-only, handed to the units by LoadCredential=): rekor-key.pem,
#     ctlog-key.pem, rekor-v2-key.pem (Ed25519), identity-key.pem, fulcio-hsm-pin (+ so-pin, root pins), tls/<unit>/tls.{crt,key},
#     internal-ca/ (the internal TLS CA's key), db/db_password_<service> and pgpass-<service> (one PostgreSQL role per
#     service: create them with deploy/postgres/init-roles.sh, PSIG_DB_PASSWORD_DIR=/etc/privatesigstore/credentials/db);
#     tls/postgres/tls.{crt,key} is PostgreSQL's server certificate from the internal CA (ssl=on, deploy/postgres/pg_hba.conf,
#     the units connect with SSL Mode=VerifyFull: docs/operations.md, "systemd"). Add the database host's name with
#     PSIG_TLS_EXTRA_SANS=DNS:<host> when it is not localhost;
#   - the timestamp authority's key credentials/tsa-key.pem and its chain ca/tsa-chain.pem (+ tsa-chain.root.pem for the
#     trusted root); the TSA root's key stays in credentials/tsa-root/ (move it offline with the root token).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
: "${PSIG_ETC:=/etc/privatesigstore}"
: "${PSIG_OPT:=/opt/privatesigstore}"
: "${PSIG_INIT_KEYS:=$here/../docker/init-keys.sh}"
: "${PSIG_FULCIO_DLL:=$PSIG_OPT/fulcio/PrivateSigstore.Fulcio.dll}"
: "${PSIG_TOKEN_OWNER=privatesigstore}"   # the CA unit's User=; empty: leave ownership as is
: "${PSIG_HSM_ROOT_TOKEN_DIR:=/var/lib/privatesigstore-offline/root-tokens}"
: "${PSIG_TLS_SERVICES:=identity ctlog fulcio rekor rekor-v2 tsa postgres}"
: "${PSIG_DB_SERVICES:=identity ctlog rekor rekor_v2}"
export SOFTHSM2_CONF="${SOFTHSM2_CONF:-$PSIG_ETC/softhsm2.conf}"
creds="$PSIG_ETC/credentials"
umask 077
install -d -m 0700 "$creds" "$creds/db" "$(dirname "$PSIG_HSM_ROOT_TOKEN_DIR")"
install -d -m 0755 "$PSIG_ETC/ca"
rand() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
for f in fulcio-hsm-pin fulcio-hsm-so-pin fulcio-root-pin fulcio-root-so-pin; do
  [ -s "$creds/$f" ] || rand > "$creds/$f"
done
for service in ${PSIG_DB_SERVICES}; do
  [ -s "$creds/db/db_password_$service" ] || rand > "$creds/db/db_password_$service"
  [ -s "$creds/pgpass-$service" ] || printf '*:*:*:%s:%s\n' "$service" "$(cat "$creds/db/db_password_$service")" > "$creds/pgpass-$service"
done
[ -s "$creds/identity-key.pem" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$creds/identity-key.pem"

PSIG_HSM_TOKEN_LABEL=fulcio PSIG_HSM_PIN_FILE="$creds/fulcio-hsm-pin" PSIG_HSM_SO_PIN_FILE="$creds/fulcio-hsm-so-pin" \
PSIG_HSM_ROOT_TOKEN_LABEL=fulcio-root PSIG_HSM_ROOT_TOKEN_DIR="$PSIG_HSM_ROOT_TOKEN_DIR" \
PSIG_HSM_ROOT_PIN_FILE="$creds/fulcio-root-pin" PSIG_HSM_ROOT_SO_PIN_FILE="$creds/fulcio-root-so-pin" \
PSIG_CA_DIR="$PSIG_ETC/ca" PSIG_CTLOG_KEY_DIR="$creds" PSIG_REKOR_KEY_DIR="$creds" PSIG_REKOR_V2_KEY_DIR="$creds" PSIG_FULCIO_DLL="$PSIG_FULCIO_DLL" \
PSIG_TLS_CA_DIR="$creds/internal-ca" PSIG_TLS_DIR="$creds/tls" PSIG_TLS_SERVICES="$PSIG_TLS_SERVICES" \
PSIG_TSA_KEY_DIR="$creds" PSIG_TSA_ROOT_DIR="$creds/tsa-root" \
  bash "$PSIG_INIT_KEYS"

chmod 0755 "$PSIG_ETC/ca"
if [ -n "$PSIG_TOKEN_OWNER" ]; then
  tokendir="$(sed -n 's/^[[:space:]]*directories\.tokendir[[:space:]]*=[[:space:]]*//p' "$SOFTHSM2_CONF" | tail -n1)"
  chown -R "$PSIG_TOKEN_OWNER:$PSIG_TOKEN_OWNER" "$tokendir"
fi
echo "privatesigstore-keys: done. Move ${PSIG_HSM_ROOT_TOKEN_DIR} (the root key) to offline media now." >&2
