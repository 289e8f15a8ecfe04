#!/bin/sh
# Makes the TEST certificates and keys the relays of these scenarios use for
# STARTTLS (namorar: mail.example.org, mx2: mx2.example.org). They were made
# once with this script and are committed, so every run and every machine
# uses the same bytes (and the simulation repeats byte for byte); run it
# again only to replace them. The keys are public by being in this
# repository: TEST KEYS, never for real mail.
#
# Self-signed EC P-256, valid 2025-01-01 to 2036-01-01 so that they are
# valid at every shipped scenario's simulated epoch (2026-01-01) whatever the
# day they are made; `openssl req -x509` would start them today, so they are
# signed with `openssl ca -selfsign`, which takes explicit dates.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_pki() {  # make_pki HOST NAME
  host=$1 name=$2
  mkdir -p "$work/$name" "$here/$host/etc/ssl/private"
  : >"$work/$name/index.txt"
  cat >"$work/$name/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $work/$name/index.txt
new_certs_dir = $work/$name
serial = $work/$name/serial
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
[extensions]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:$name
CNF
  openssl rand -hex 16 >"$work/$name/serial"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$name/key.pem"
  openssl req -new -key "$work/$name/key.pem" -subj "/CN=$name" -out "$work/$name/req.pem"
  openssl ca -batch -notext -selfsign -config "$work/$name/ca.cnf" -extensions extensions \
    -keyfile "$work/$name/key.pem" -in "$work/$name/req.pem" \
    -startdate 20250101000000Z -enddate 20360101000000Z -out "$work/$name/cert.pem" 2>/dev/null
  {
    echo "TEST CERTIFICATE for the tether-sim scenarios (make-test-pki.sh); not for real mail."
    cat "$work/$name/cert.pem"
  } >"$here/$host/etc/ssl/$name.crt"
  {
    echo "TEST KEY for the tether-sim scenarios (make-test-pki.sh): public, never use it for real mail."
    cat "$work/$name/key.pem"
  } >"$here/$host/etc/ssl/private/$name.key"
}

make_pki namorar mail.example.org
make_pki mx2 mx2.example.org
