#!/usr/bin/env bash
# Checks the admin status page in a real headless browser.
#
# Starts target/hayate.jar on loopback with ephemeral ports, sends a few announces with curl, then has Debian's
# chromium (apt-get install chromium) render http://127.0.0.1:ADMIN_PORT/: a screenshot and the DOM it built.
# Verifies the numbers in the rendered DOM and the response headers, and stops everything it started by PID.
#
# Usage: ops/check-status-page.sh [OUT_DIR]   (default target/status-page; the screenshot is OUT_DIR/status.png)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-target/status-page}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jar=$(pwd)/target/hayate.jar
[ -f "$jar" ] || mvn -q -B package -DskipTests
command -v chromium >/dev/null || { echo "check-status-page: chromium missing (apt-get install chromium)" >&2; exit 2; }

work=$(mktemp -d)
profile=$(mktemp -d)
tracker_pid=
cleanup() {
  if [ -n "$tracker_pid" ] && kill -0 "$tracker_pid" 2>/dev/null; then
    kill "$tracker_pid"
    wait "$tracker_pid" 2>/dev/null || true
  fi
  rm -rf "$work" "$profile"
}
trap cleanup EXIT

# In an empty directory, so no ./tracker.properties is picked up; every port is chosen by the kernel.
(cd "$work" && exec java -jar "$jar" --http.host=127.0.0.1 --http.port=0 --udp.host=127.0.0.1 --udp.port=0 \
  --admin.host=127.0.0.1 --admin.port=0 --store.max_peers=10000 --store.max_torrents=1000) >"$out/tracker.log" 2>&1 &
tracker_pid=$!

for _ in $(seq 1 120); do
  grep -q ' admin http://' "$out/tracker.log" && break
  kill -0 "$tracker_pid" 2>/dev/null || { cat "$out/tracker.log" >&2; echo "tracker exited" >&2; exit 1; }
  sleep 0.5
done
line=$(grep ' admin http://' "$out/tracker.log") || { cat "$out/tracker.log" >&2; echo "no start-up line" >&2; exit 1; }
http_port=$(sed -E 's/.*http \[\/127\.0\.0\.1:([0-9]+)\].*/\1/' <<<"$line")
admin_port=$(sed -E 's/.*admin http:\/\/127\.0\.0\.1:([0-9]+) .*/\1/' <<<"$line")
echo "check-status-page: tracker pid $tracker_pid, http $http_port, admin $admin_port"

hash_a='%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13%14'
hash_b='%a1%a2%a3%a4%a5%a6%a7%a8%a9%aa%ab%ac%ad%ae%af%b0%b1%b2%b3%b4'
announce() { # hash peer_id port left
  local body
  # The body is bencoded with binary peer addresses: drop NUL bytes before the shell sees it.
  body=$(curl -sS --max-time 5 "http://127.0.0.1:$http_port/announce?info_hash=$1&peer_id=$2&port=$3&uploaded=0&downloaded=0&left=$4&compact=1&event=started" | tr -d "\000")
  case "$body" in *"failure reason"*) echo "announce failed: $body" >&2; exit 1 ;; esac
}
# Torrent A: two seeders and a leecher; torrent B: one leecher. 4 announces, 2 torrents, 4 peers.
announce "$hash_a" -HY0001-seedA0000001 6881 0
announce "$hash_a" -HY0001-seedA0000002 6882 0
announce "$hash_a" -HY0001-leechA000001 6883 1000
announce "$hash_b" -HY0001-leechB000001 6884 5000

base="http://127.0.0.1:$admin_port/"
headers=$(curl -sS --max-time 5 -D - -o /dev/null "$base")
grep -qi '^content-type: text/html; charset=utf-8' <<<"$headers" || { echo "bad content type: $headers" >&2; exit 1; }
if grep -qi '^server:' <<<"$headers"; then echo "server banner present: $headers" >&2; exit 1; fi

chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
  --disable-component-update --disable-sync --user-data-dir="$profile" --window-size=1000,700)
timeout 90 "${chrome[@]}" --screenshot="$out/status.png" "$base" >"$out/chromium.log" 2>&1
timeout 90 "${chrome[@]}" --dump-dom "$base" >"$out/dom.html" 2>>"$out/chromium.log"

fail=0
expect() { # id value
  if grep -q "<td id=\"$1\">$2</td>" "$out/dom.html"; then
    echo "  ok   $1 = $2"
  else
    echo "  FAIL $1: expected $2, DOM has: $(grep -o "<td id=\"$1\">[^<]*</td>" "$out/dom.html" || echo none)"
    fail=1
  fi
}
echo "check-status-page: rendered DOM"
expect torrents 2
expect peers 4
expect seeders 2
expect leechers 2
expect announces-hour 4
expect capacity 0.04%
expect version '[^<]\+'
expect uptime '[0-9]\+h [0-9][0-9]m [0-9][0-9]s'
bars=$(grep -o '<rect class="bar"' "$out/dom.html" | wc -l)
if [ "$bars" -eq 60 ]; then echo "  ok   chart has 60 bars"; else echo "  FAIL chart has $bars bars"; fail=1; fi
if grep -qi '<script' "$out/dom.html"; then echo "  FAIL the page has a script"; fail=1; fi
[ -s "$out/status.png" ] || { echo "  FAIL no screenshot"; fail=1; }

kill "$tracker_pid"
wait "$tracker_pid" 2>/dev/null || true
tracker_pid=
grep -q 'Hayate stopped; store closed cleanly' "$out/tracker.log" || { echo "  FAIL no clean stop" >&2; fail=1; }
[ "$fail" -eq 0 ] && echo "check-status-page: passed; screenshot $out/status.png"
exit "$fail"
