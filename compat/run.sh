#!/usr/bin/env bash
# Runs real Perspective and Akismet clients, installed from PyPI and npm at pinned versions,
# against `commentguard serve` on a free loopback port. Needs cargo, python3 (with venv) and
# npm. Usage: compat/run.sh   (from anywhere; CI runs it after cargo test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== building commentguard"
(cd "$root" && cargo build --quiet)
bin="$root/target/debug/commentguard"

echo "== installing the clients"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/package.json" "$here/package-lock.json" "$here/node_client.js" "$here/localhost.js" "$work/"
(cd "$work" && npm ci --silent --no-audit --no-fund)

key="compat-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
cat > "$work/keys.toml" <<KEYS
[[key]]
key = "$key"
roles = ["score", "learn"]
KEYS

echo "== starting the server"
"$bin" serve --listen 127.0.0.1:0 --keys "$work/keys.toml" --journal "$work/journal" \
    > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
addr=""
for _ in $(seq 1 200); do
    addr="$(sed -n 's/^listening on //p' "$work/server.out")"
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.err"; exit 1; }
    sleep 0.05
done
[ -n "$addr" ] || { echo "the server printed no address"; exit 1; }
for _ in $(seq 1 200); do
    curl -fsS "http://$addr/readyz" > /dev/null 2>&1 && break
    sleep 0.05
done
curl -fsS "http://$addr/readyz" > /dev/null
echo "server ready at $addr"

status=0
echo "== Python clients"
"$work/venv/bin/python" "$here/python_clients.py" "http://$addr" "$key" || status=1
echo "== Node client"
(cd "$work" && node -r ./localhost.js node_client.js "${addr##*:}" "$key") || status=1

learned="$(curl -fsS -H "Authorization: Bearer $key" "http://$addr/v1/model" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["feedback"]["learned"])')"
echo "feedback learned through the Akismet clients: $learned (expected 4)"
[ "$learned" = 4 ] || status=1
exit $status
