#!/usr/bin/env bash
# The key ceremony of the compose demo (deploy/compose.yaml), on one machine: four banks and
# a regulator each make their keys in a directory of their own, only public files travel,
# one party assembles the network file, every party checks its digest, a small demo CA
# signs each node's TLS certificate, and each bank writes its node's configuration.
#
# In production each party runs its steps on its own machine (docs/operations.md, "The key
# ceremony"); here a directory stands for each machine, and a copy for each hand-over.
#
# Usage:  deploy/ceremony.sh [OUT_DIR]          (default: deploy/demo)
# Environment:
#   CREDENCE       the credence binary (default: `credence` on PATH, else
#                  target/release/credence, else target/debug/credence)
#   CREDENCE_UID   owner of each bank's directory: the image's user (default 10001)
#   GRAFANA_UID    owner of the Grafana admin password file: the Grafana image's user (472)
# Needs openssl. Run as root (or with sudo available): the key files are mode 0600 and the
# containers read them as CREDENCE_UID.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT="${1:-deploy/demo}"
CREDENCE_UID="${CREDENCE_UID:-10001}"
GRAFANA_UID="${GRAFANA_UID:-472}"
CHAIN_ID="credence-demo"

# The banks and their fixed addresses on compose.yaml's network; scripts/check-deploy
# checks that these match the compose file.
BANKS=(bank-a bank-b bank-c bank-d)
declare -A P2P_IP=([bank-a]=172.30.0.11 [bank-b]=172.30.0.12 [bank-c]=172.30.0.13 [bank-d]=172.30.0.14)
P2P_PORT=9000
API_PORT=8443
METRICS_PORT=9101

step() { printf '\n==> %s\n' "$*"; }
die() {
    printf 'ceremony: %s\n' "$*" >&2
    exit 1
}
# Runs a command, showing its chatter only if it fails.
quiet() {
    local output
    if ! output="$("$@" 2>&1)"; then
        printf '%s\n' "$output" >&2
        return 1
    fi
}

# --- what the ceremony needs ---------------------------------------------------------

if [ -z "${CREDENCE:-}" ]; then
    if command -v credence >/dev/null; then
        CREDENCE="$(command -v credence)"
    elif [ -x target/release/credence ]; then
        CREDENCE="$PWD/target/release/credence"
    elif [ -x target/debug/credence ]; then
        CREDENCE="$PWD/target/debug/credence"
    else
        die "no credence binary: build one (cargo build --release) or set CREDENCE"
    fi
fi
case "$CREDENCE" in
    /*) ;;
    */*) CREDENCE="$PWD/$CREDENCE" ;;
    *) CREDENCE="$(command -v "$CREDENCE")" || die "CREDENCE=$CREDENCE is not on PATH" ;;
esac
[ -x "$CREDENCE" ] || die "$CREDENCE is not executable"
command -v openssl >/dev/null || die "openssl is needed for the TLS certificates"
"$CREDENCE" genesis assemble --help >/dev/null 2>&1 ||
    die "$CREDENCE has no \`genesis assemble\`: it predates the key ceremony"

if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
    die "$OUT already exists: keys are never overwritten. To start over, stop the demo with
    its volumes (docker compose -f deploy/compose.yaml down -v) and remove $OUT."
fi

# Private files are created 0600 and directories 0700; public files are made 0644 below.
umask 077
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
ASSEMBLER="$OUT/assembler" # the party that assembles genesis: public files only
REGULATOR="$OUT/regulator"
CA="$OUT/ca"
mkdir -p "$ASSEMBLER" "$REGULATOR" "$CA/requests"
for bank in "${BANKS[@]}"; do mkdir -p "$OUT/$bank/tls"; done

# Every 64-hex-digit key in a public file must appear in the network file.
keys_in_network() {
    local public="$1" network="$2" key
    while read -r key; do
        grep -q "$key" "$network" || return 1
    done < <(grep -oE '[0-9a-f]{64}' "$public" | sort -u)
}

# --- 1. each party makes its keys, on its own machine --------------------------------

step "1. each bank makes its institution key and its consensus key"
for bank in "${BANKS[@]}"; do
    (
        cd "$OUT/$bank"
        "$CREDENCE" keys institution --name "$bank" --roles validator,furnisher,lender \
            --p2p "${P2P_IP[$bank]}:$P2P_PORT" --out .
        chmod 0644 "$bank.public.json"
    )
    printf '  %s: %s.json and %s.consensus.json stay; %s.public.json is published\n' \
        "$bank" "$bank" "$bank" "$bank"
done

step "1. the regulator makes its institution key and the network's audit key"
(
    cd "$REGULATOR"
    "$CREDENCE" keys institution --name regulator --roles regulator --out .
    "$CREDENCE" keys audit --out .
    chmod 0644 regulator.public.json audit.public.json
)
printf '  audit.json never leaves the regulator; audit.public.json is published\n'

# --- 2. public files go to the assembler; it assembles the network file -------------

step "2. the public files go to the assembler, which assembles the network file"
members=()
for bank in "${BANKS[@]}"; do
    cp "$OUT/$bank/$bank.public.json" "$ASSEMBLER/"
    members+=(--member "$bank.public.json")
done
cp "$REGULATOR/regulator.public.json" "$REGULATOR/audit.public.json" "$ASSEMBLER/"
members+=(--member regulator.public.json)
(
    cd "$ASSEMBLER"
    "$CREDENCE" genesis assemble --chain-id "$CHAIN_ID" "${members[@]}" \
        --audit audit.public.json --out network.json
    chmod 0644 network.json
)
announced="$("$CREDENCE" genesis digest "$ASSEMBLER/network.json" | grep -oE '[0-9a-f]{64}' | tail -n 1)"
[ -n "$announced" ] || die "credence genesis digest printed no digest"
printf '  digest, read out to every party by telephone or video (out of band):\n  %s\n' "$announced"

# --- 3. every party checks the network file it received ------------------------------

step "3. every party checks its copy: the digest, and its own keys in it"
for party in "${BANKS[@]}" regulator; do
    if [ "$party" = regulator ]; then dir="$REGULATOR"; else dir="$OUT/$party"; fi
    cp "$ASSEMBLER/network.json" "$dir/network.json"
    digest="$("$CREDENCE" genesis digest "$dir/network.json" | grep -oE '[0-9a-f]{64}' | tail -n 1)"
    [ "$digest" = "$announced" ] || die "$party: digest $digest is not the announced $announced"
    keys_in_network "$dir/$party.public.json" "$dir/network.json" ||
        die "$party: its public keys are not in the network file"
    if [ "$party" = regulator ]; then
        keys_in_network "$dir/audit.public.json" "$dir/network.json" ||
            die "regulator: the audit key in the network file is not its own"
    fi
    printf '  %s: digest matches, its keys are in\n' "$party"
done

# --- 4. TLS: each bank's key stays home; the demo CA signs its request ---------------

step "4. TLS certificates: a demo CA signs each bank's request"
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CA/ca.key"
quiet openssl req -x509 -new -key "$CA/ca.key" -sha256 -days 825 \
    -subj "/O=Credence demo/CN=Credence demo CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$CA/ca.crt"
chmod 0644 "$CA/ca.crt"
for bank in "${BANKS[@]}"; do
    # The bank: a key and a signing request (ECDSA P-256, which browsers accept).
    (
        cd "$OUT/$bank/tls"
        quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out node.key
        quiet openssl req -new -key node.key -subj "/O=$bank/CN=$bank" -out node.csr
        chmod 0644 node.csr
    )
    cp "$OUT/$bank/tls/node.csr" "$CA/requests/$bank.csr"
    # The CA: names the node by its compose service name, its address, and loopback (for
    # the container's health check and the ports published on this machine).
    printf '%s\n' \
        "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" \
        "subjectAltName=DNS:$bank,DNS:localhost,IP:${P2P_IP[$bank]},IP:127.0.0.1" \
        >"$CA/requests/$bank.ext"
    quiet openssl x509 -req -in "$CA/requests/$bank.csr" -CA "$CA/ca.crt" -CAkey "$CA/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days 397 -sha256 \
        -extfile "$CA/requests/$bank.ext" -out "$CA/requests/$bank.crt"
    quiet openssl verify -CAfile "$CA/ca.crt" "$CA/requests/$bank.crt"
    install -m 0644 "$CA/requests/$bank.crt" "$OUT/$bank/tls/node.crt"
    install -m 0644 "$CA/ca.crt" "$OUT/$bank/tls/ca.crt"
    printf '  %s: certificate for %s, %s\n' "$bank" "$bank" "${P2P_IP[$bank]}"
done

# --- 5. each bank writes its node's configuration ------------------------------------

step "5. each bank writes its node's configuration"
for bank in "${BANKS[@]}"; do
    (
        cd "$OUT/$bank"
        # The lender console's operator token: 32 random bytes, hex.
        openssl rand -hex 32 >operator-token
        # In the container, data lives on the node's volume, and metrics are served on the
        # compose network (plain HTTP, no subject data) for Prometheus.
        "$CREDENCE" node init --dir . --key "$bank.json" \
            --consensus-key "$bank.consensus.json" --network network.json \
            --p2p "0.0.0.0:$P2P_PORT" --api "0.0.0.0:$API_PORT" \
            --tls-certificate tls/node.crt --tls-key tls/node.key \
            --metrics "0.0.0.0:$METRICS_PORT" --data-dir /var/lib/credence \
            --operator-token-file operator-token >/dev/null
        chmod 0644 node.toml
    )
    printf '  %s: %s/node.toml\n' "$bank" "$OUT/$bank"
done

# --- 6. hand the directories to the containers' users --------------------------------

step "6. each bank's directory to uid $CREDENCE_UID (the image's user)"
openssl rand -base64 24 >"$OUT/grafana-admin-password"
# Whoever ran the ceremony (through sudo or not) keeps the rest, and may list the banks'
# directories through their group; the files in them stay 0600.
owner="${SUDO_UID:-$(id -u)}:${SUDO_GID:-$(id -g)}"
group="${SUDO_GID:-$(id -g)}"
as_root=()
if [ "$(id -u)" -ne 0 ] && { [ "$CREDENCE_UID" != "$(id -u)" ] || [ "$GRAFANA_UID" != "$(id -u)" ]; }; then
    command -v sudo >/dev/null ||
        die "not root and no sudo: chown -R $CREDENCE_UID $OUT/bank-* and $GRAFANA_UID $OUT/grafana-admin-password"
    as_root=(sudo)
fi
"${as_root[@]}" chown -R "$owner" "$OUT"
for bank in "${BANKS[@]}"; do
    "${as_root[@]}" chown -R "$CREDENCE_UID:$group" "$OUT/$bank"
    "${as_root[@]}" find "$OUT/$bank" -type d -exec chmod 0750 {} +
done
"${as_root[@]}" chown "$GRAFANA_UID:$group" "$OUT/grafana-admin-password"

step "done"
cat <<EOF
  network digest  $announced
  start           docker compose -f deploy/compose.yaml up -d --build
                  (add --profile monitoring for Prometheus, --profile grafana for Grafana too)
  status          curl --cacert $CA/ca.crt https://localhost:8443/v1/status
                  (bank-a to bank-d on ports 8443 to 8446)
  operator tokens $OUT/bank-*/operator-token (uid $CREDENCE_UID or root can read them)
  Grafana         http://localhost:3000, user admin, password in $OUT/grafana-admin-password
EOF
