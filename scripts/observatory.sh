#!/usr/bin/env bash
# The MDN HTTP Observatory grade of the portal's landing page, served by gunicorn over TLS.
#
# Installs @mdn/mdn-http-observatory into a cache directory (never into the repository), makes a
# throwaway CA and a certificate for 127.0.0.1, starts the local Cognito stand-in and the portal
# (PORTAL_BASE_URL=https://127.0.0.1:PORT), scans https://127.0.0.1:PORT/, prints the grade and
# score (and every test that lost points), and stops everything it started.
#
#   scripts/observatory.sh            # exit status 0 when the grade is at least $MIN_GRADE (A+)
#   MIN_GRADE=A scripts/observatory.sh
#
# Needs: uv, node + npm (the npm registry), openssl, curl. See docs/observatory.md.
set -euo pipefail
cd "$(dirname "$0")/.."

OBSERVATORY_VERSION="${OBSERVATORY_VERSION:-1.4.8}"
MIN_GRADE="${MIN_GRADE:-A+}"
CACHE="${MFA_PORTAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mfa-portal}/observatory-$OBSERVATORY_VERSION"
PACKAGE="$CACHE/node_modules/@mdn/mdn-http-observatory"
WORK="$(mktemp -d)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  uv run --quiet python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # url [curl options...]
  local url="$1"
  shift
  for _ in $(seq 1 150); do
    if curl --silent --fail --output /dev/null "$@" "$url"; then return 0; fi
    sleep 0.2
  done
  echo "observatory: $url did not answer" >&2
  return 1
}

# 1. The scanner, installed once into the cache (no install scripts run).
if [ ! -f "$PACKAGE/src/scan.js" ]; then
  echo "observatory: installing @mdn/mdn-http-observatory@$OBSERVATORY_VERSION into $CACHE" >&2
  mkdir -p "$CACHE"
  [ -f "$CACHE/package.json" ] || echo '{"private": true}' >"$CACHE/package.json"
  (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error \
    "@mdn/mdn-http-observatory@$OBSERVATORY_VERSION" >&2)
fi
# Its HSTS preload list is normally downloaded by an install script: an empty one will do.
echo '{}' >"$PACKAGE/conf/hsts-preload.json"

# 2. A throwaway CA and a certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=mfa-portal observatory CA" \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  >"$WORK/server.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 1 -extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null

# 3. The stand-in and the portal, both behind TLS (as Cognito's hosted UI always is: the
#    portal's CSP names the hosted-UI origin in form-action).
COGNITO_PORT="$(free_port)"
PORT="$(free_port)"
uv run --quiet python - "$COGNITO_PORT" "$WORK/server.pem" "$WORK/server.key" \
  >"$WORK/cognito.env" 2>"$WORK/cognito.log" <<'PY' &
import functools
import ssl
import sys

import localcognito.server as server

port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.make_server = functools.partial(server.make_server, ssl_context=context)
cognito = server.LocalCognito(port=port).start()
https_url = cognito.url.replace("http://", "https://")
for name, value in cognito.portal_env("https://127.0.0.1").items():
    print(f"export {name}={value.replace(cognito.url, https_url)}", flush=True)
cognito.serve_forever()
PY
pids+=($!)
wait_for "https://127.0.0.1:$COGNITO_PORT/_local/health" --cacert "$WORK/ca.pem"
eval "$(cat "$WORK/cognito.env")"
export PORTAL_BASE_URL="https://127.0.0.1:$PORT"
export SECRET_KEY="$(openssl rand -hex 32)" SESSION_DIR="$WORK/sessions"
export HOST=127.0.0.1 PORT WEB_CONCURRENCY=1 LOG_LEVEL=WARNING
export REQUESTS_CA_BUNDLE="$WORK/ca.pem" AWS_CA_BUNDLE="$WORK/ca.pem"

uv run --quiet gunicorn -c gunicorn.conf.py --certfile "$WORK/server.pem" \
  --keyfile "$WORK/server.key" 'app:create_app()' >"$WORK/portal.log" 2>&1 &
pids+=($!)
wait_for "https://127.0.0.1:$PORT/healthz" --cacert "$WORK/ca.pem"

# 4. The scan of the landing page (https://127.0.0.1:PORT/).
NODE_EXTRA_CA_CERTS="$WORK/ca.pem" node "$PACKAGE/src/scan.js" "127.0.0.1:$PORT" >"$WORK/scan.json"

uv run --quiet python - "$WORK/scan.json" "$MIN_GRADE" <<'PY'
import json
import sys

result = json.load(open(sys.argv[1]))
if "error" in result:
    sys.exit(f"observatory: the scan failed: {result['error']}")
scan = result["scan"]
print(f"MDN HTTP Observatory: grade {scan['grade']}, score {scan['score']}/100 "
      f"({scan['testsPassed']}/{scan['testsQuantity']} tests passed)")
for name, test in sorted(result["tests"].items()):
    modifier = test.get("scoreModifier", 0)
    if modifier or not test.get("pass"):
        print(f"  {name:<28} {modifier:+d}  {test.get('result')}")
order = ["A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F"]
sys.exit(0 if order.index(scan["grade"]) <= order.index(sys.argv[2]) else 1)
PY
