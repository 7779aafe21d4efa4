#!/usr/bin/env bash
# Restart after kill -9 (issue "Store v2"): fills a persisted Hayate with $FILL_TORRENTS x $PEERS_PER_TORRENT peers
# (default 600,000 x 3) over HTTP, kills it with SIGKILL, starts it again on the same store directory and times how
# long until it answers a scrape; then checks the first and last torrent still count their peers (complete=1,
# incomplete=2) and prints the "recovered ... peers" line. ROUNDS restarts (default 3), each after a fresh kill -9.
#
#   benchmarks/restart.sh
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 ROUNDS=3 benchmarks/restart.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FILL_TORRENTS=${FILL_TORRENTS:-600000}
PEERS_PER_TORRENT=${PEERS_PER_TORRENT:-3}
ROUNDS=${ROUNDS:-3}
HAYATE_JAVA_OPTS=${HAYATE_JAVA_OPTS:--Xms256m -Xmx256m -XX:+UseSerialGC}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the filler"
why=$(target_available hayate) || die "$why"
STORE="$WORK/store"
mkdir -p "$STORE"

scrape() { # INDEX -> body
  local hex enc
  hex=$(python3 "$BENCH_DIR/gen-hashes.py" "$1" | tail -1)
  enc=$(sed 's/../%&/g' <<<"$hex")
  curl -s --max-time 5 "http://127.0.0.1:$SERVER_PORT/scrape?info_hash=$enc" | tr -c '[:print:]' '.'
}

start_target hayate --store.path="$STORE"
log "filling $FILL_TORRENTS x $PEERS_PER_TORRENT into a persisted store"
"$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=fill \
  url="http://127.0.0.1:$SERVER_PORT/announce" torrents="$FILL_TORRENTS" peers="$PEERS_PER_TORRENT" connections=64 \
  | grep '^FILL' || die "fill failed"
log "on disk: $(du -sm "$STORE" | cut -f1) MB"
want="completei1e10:downloadedi0e10:incompletei2e"
for round in $(seq "$ROUNDS"); do
  kill -KILL "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  t0=$(date +%s%N)
  # start_target clears the target's own work dir (logs), not $STORE
  start_target hayate --store.path="$STORE"
  until [[ $(scrape 1) == *"$want"* ]]; do
    kill -0 "$SERVER_PID" 2>/dev/null || die "restart died: $(tail -5 "$WORK/hayate/server.log")"
    sleep 0.05
  done
  t1=$(date +%s%N)
  last=$(scrape "$FILL_TORRENTS")
  [[ $last == *"$want"* ]] || die "torrent $FILL_TORRENTS lost its peers: $last"
  printf 'round %d: serving %.2f s after the restart began; %s\n' "$round" "$(((t1 - t0) / 1000000))e-3" \
    "$(grep -o 'recovered the swarm store.*' "$WORK/hayate/server.log" || echo 'NO recovery line')"
done
stop_server "$SERVER_PID"
machine_info
