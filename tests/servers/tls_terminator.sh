#!/usr/bin/env bash
# A TLS front for a loopback HTTP server (Swift s3api in the tests), with a CA made here:
# stunnel4 (Debian) accepts TLS on PORT and forwards plain HTTP to BACKEND_PORT.
#
#   tls_terminator.sh start DIR PORT BACKEND_PORT   # prints "tls ready on 127.0.0.1:PORT"
#   tls_terminator.sh stop DIR
#
# DIR/ca.pem is the CA that signed the server certificate (subjectAltName IP:127.0.0.1
# and DNS:localhost); DIR/other-ca.pem is a CA that signed nothing here (a wrong --s3-ca-file).
# Needs: apt-get install -y --no-install-recommends stunnel4 openssl
set -euo pipefail

cmd=${1:?usage: $0 start|stop DIR [PORT BACKEND_PORT]}
dir=$(realpath -m "${2:?usage: $0 start|stop DIR [PORT BACKEND_PORT]}")

stop() {
  [ -f "$dir/stunnel.pid" ] || return 0
  kill "$(cat "$dir/stunnel.pid")" 2>/dev/null || true
  rm -f "$dir/stunnel.pid"
}

make_ca() { # name
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sidearm test $1" \
    -keyout "$dir/$1.key" -out "$dir/$1.pem" >/dev/null 2>&1
}

start() {
  local port=${3:?PORT} backend=${4:?BACKEND_PORT}
  stop
  mkdir -p "$dir"
  make_ca ca
  make_ca other-ca
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" \
    >/dev/null 2>&1
  printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\n' >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/server.ext" -out "$dir/server.pem" >/dev/null 2>&1
  cat >"$dir/stunnel.conf" <<CONF
foreground = yes
pid =
output = $dir/stunnel.log
[s3]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$backend
cert = $dir/server.pem
key = $dir/server.key
CONF
  setsid stunnel4 "$dir/stunnel.conf" >>"$dir/stunnel.out" 2>&1 &
  echo $! >"$dir/stunnel.pid"
  for _ in $(seq 100); do
    if curl -sf -o /dev/null --cacert "$dir/ca.pem" "https://127.0.0.1:$port/healthcheck"; then
      echo "tls ready on 127.0.0.1:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "stunnel did not start; log in $dir" >&2
  stop
  return 1
}

case $cmd in
  start) start "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR [PORT BACKEND_PORT]" >&2; exit 2 ;;
esac
