#!/usr/bin/env bash
# Memory per idle WebTorrent (WebSocket) peer: resident memory of the tracker holding $IDLE_PEERS idle WebSocket
# peers, above its own idle RSS, for Hayate (the shipped JVM flags of conf/jvm.options) and bittorrent-tracker's server in
# the same run.
#
#   flock /tmp/hayate-bench.lock benchmarks/ws-memory.sh                   # 10,000 peers, 3 rounds x 2 targets, ~3 min
#   IDLE_PEERS=20000 ROUNDS=1 TARGETS=hayate benchmarks/ws-memory.sh
#
# Each run starts the target fresh and reads its VmRSS after SETTLE s (idle). dev.hayate.bench.WsLoadGenerator
# mode=idle then opens $IDLE_PEERS WebSocket connections, one peer each, over $WS_TORRENTS torrents drawn Zipf($ZIPF);
# each peer announces once (event=started, 5 offers of a real ~670-character SDP; the tracker relays them, the
# peers do not answer) and then stays connected and silent, answering only WebSocket pings. When every peer has its
# reply, the script waits SETTLE s and reads VmRSS (and RssAnon/RssFile, VmHWM) again; Hayate must report exactly
# $IDLE_PEERS open WebSockets (hayate_ws_connections) and $IDLE_PEERS WebTorrent peers (seeders + leechers). The
# generator is then stopped (by PID) and the target too. Per peer = (RSS with the peers - idle RSS) / IDLE_PEERS.
# Target (issue 12): 10,000 idle peers in < 100 MiB above Hayate's idle RSS.
#
# Builds nothing; needs target/hayate.jar, benchmarks/target/benchmarks.jar and, for bt-tracker,
# `npm ci --ignore-scripts` in benchmarks/ws-reference (see ws-load.sh for the targets and ports).
set -euo pipefail
GIVEN_HAYATE_JAVA_OPTS=${HAYATE_JAVA_OPTS-}
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
IDLE_PEERS=${IDLE_PEERS:-10000}
WS_TORRENTS=${WS_TORRENTS:-1000}
ZIPF=${ZIPF:-1.0}
SETTLE=${SETTLE:-5}
WSREF_PORT=${WSREF_PORT:-16977}
TARGETS=${TARGETS:-hayate bt-tracker}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}
CLIENT_JAVA_OPTS=${CLIENT_JAVA_OPTS:--Xms1g -Xmx1g -XX:+UseSerialGC}
WSREF_DIR="$BENCH_DIR/ws-reference"

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the load generator"
[[ $ROUNDS =~ ^[1-9]$ ]] || die "ROUNDS must be 1..9"
[[ $IDLE_PEERS =~ ^[1-9][0-9]*$ && $IDLE_PEERS -le 50000 ]] || die "IDLE_PEERS must be 1..50000"
[[ $SETTLE =~ ^[0-9]+$ && $SETTLE -le 60 ]] || die "SETTLE must be 0..60 seconds"

# Unless given, the shipped JVM flags (lib.sh's shipped_java_opts: src/dist/conf/jvm.options, what bin/hayate uses).
HAYATE_JAVA_OPTS=${GIVEN_HAYATE_JAVA_OPTS:-$(shipped_java_opts)}

read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  case $t in
    hayate) why=$(target_available hayate) || die "$why" ;;
    bt-tracker)
      command -v node >/dev/null || die "node not installed (apt-get install nodejs npm)"
      [[ -d $WSREF_DIR/node_modules/bittorrent-tracker ]] ||
        die "bittorrent-tracker not installed: (cd benchmarks/ws-reference && npm ci --ignore-scripts)" ;;
    *) die "unknown target $t (hayate, bt-tracker)" ;;
  esac
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) > IDLE_PEERS + 1000 )) || die "open-files limit $(ulimit -n) too low for $IDLE_PEERS peers"

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="${1:-0}" 'BEGIN {printf "%.1f", kb / 1024}'; }
ws_metric() {
  curl -sf --max-time 5 "http://127.0.0.1:$HAYATE_ADMIN_PORT/metrics" |
    awk -v n="$1" '$1 ~ "^"n"([{]|$)" {s += $NF; k++} END {if (!k) exit 1; printf "%.0f\n", s}' ||
    die "no $1 in hayate's /metrics"
}

start_ws() {
  case $1 in
    hayate)
      start_target hayate
      # the admin listener (read for hayate_ws_*) may come up a moment after the tracker's port
      wait_listening "$SERVER_PID" "$HAYATE_ADMIN_PORT" "$WORK/hayate/server.log" ;;
    bt-tracker)
      port_free "$WSREF_PORT" || die "127.0.0.1:$WSREF_PORT (bt-tracker) is in use; set WSREF_PORT"
      mkdir -p "$WORK/bt-tracker"
      spawn "$WORK/bt-tracker" "$WORK/bt-tracker/server.log" node "$WSREF_DIR/server.mjs" "$WSREF_PORT"
      SERVER_PORT=$WSREF_PORT
      wait_listening "$SERVER_PID" "$WSREF_PORT" "$WORK/bt-tracker/server.log" ;;
  esac
}

RESULTS="$WORK/ws-memory.tsv"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  k=$(( (r - 1) % ${#targets[@]} ))
  for t in "${targets[@]:k}" "${targets[@]:0:k}"; do
    start_ws "$t"
    pid=$SERVER_PID
    sleep "$SETTLE"
    idle_kb=$(status_kb "$pid" VmRSS)
    log "round $r: $t (pid $pid): idle RSS $(mb "$idle_kb") MiB; connecting $IDLE_PEERS idle peers"
    gen_log="$WORK/gen-$r-$t.log"
    # the generator holds the peers until stopped (bounded by hold=600 s)
    # shellcheck disable=SC2086
    spawn "$WORK" "$gen_log" "$CLIENT_JAVA" $CLIENT_JAVA_OPTS -cp "$BENCH_JAR" dev.hayate.bench.WsLoadGenerator \
      mode=idle port="$SERVER_PORT" path=/announce peers="$IDLE_PEERS" torrents="$WS_TORRENTS" zipf="$ZIPF" hold=600 \
      connect_timeout=300 label="$t"
    gen=$SERVER_PID
    for _ in $(seq 3000); do
      grep -q '^WSIDLE ready' "$gen_log" 2>/dev/null && break
      kill -0 "$gen" 2>/dev/null || die "$t: the generator stopped before every peer had its reply: $(tail -3 "$gen_log")"
      sleep 0.1
    done
    grep -q '^WSIDLE ready' "$gen_log" || die "$t: peers not connected after 300 s: $(tail -3 "$gen_log")"
    sleep "$SETTLE"
    kill -0 "$gen" 2>/dev/null || die "$t: the generator stopped while holding the peers: $(tail -3 "$gen_log")"
    rss=$(status_kb "$pid" VmRSS) hwm=$(status_kb "$pid" VmHWM)
    anon=$(status_kb "$pid" RssAnon) file=$(status_kb "$pid" RssFile)
    check=-
    if [[ $t == hayate ]]; then
      conns=$(ws_metric hayate_ws_connections)
      peers=$(( $(ws_metric hayate_ws_seeders) + $(ws_metric hayate_ws_leechers) ))
      [[ $conns == "$IDLE_PEERS" && $peers == "$IDLE_PEERS" ]] ||
        die "hayate holds $conns WebSockets and $peers WebTorrent peers, expected $IDLE_PEERS of each"
      check="hayate_ws_connections=$conns peers=$peers"
    fi
    ready=$(grep '^WSIDLE ready' "$gen_log")
    stop_server "$gen"
    stop_server "$pid"
    per_peer=$(awk -v a="$rss" -v b="$idle_kb" -v n="$IDLE_PEERS" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')
    log "$t: RSS $(mb "$idle_kb") -> $(mb "$rss") MiB with $IDLE_PEERS idle peers: $per_peer bytes per peer ($check)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "$idle_kb" "$rss" "$hwm" "$anon" "$file" "$check" \
      "$ready" >>"$RESULTS"
  done
done

echo
echo "# Memory per idle WebSocket peer: $IDLE_PEERS peers (one connection each, one announce with 5 offers each),"
echo "# $WS_TORRENTS torrents Zipf($ZIPF); RSS from /proc/PID/status, $SETTLE s after start and after the last reply"
machine_info | grep -v -e 'wrk:' -e 'java opts'
echo "# java opts:   hayate: $HAYATE_JAVA_OPTS $HAYATE_ARGS | generator: $CLIENT_JAVA_OPTS"
echo "# node:        $(node --version 2>/dev/null || echo n/a), bittorrent-tracker $(node -p "require('$WSREF_DIR/node_modules/bittorrent-tracker/package.json').version" 2>/dev/null || echo n/a)"
python3 - "$RESULTS" "$IDLE_PEERS" <<'EOF'
import statistics, sys
n = int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
mib = lambda kb: int(kb) / 1024
print(f"{'round':>5} {'target':<11} {'idle MiB':>8} {'peers MiB':>9} {'above idle':>10} {'B/peer':>7} {'VmHWM':>6} {'anon':>6} {'file':>6}  check")
for r, t, idle, rss, hwm, anon, file, check, _ in rows:
    print(f"{r:>5} {t:<11} {mib(idle):>8.1f} {mib(rss):>9.1f} {mib(rss) - mib(idle):>10.1f} "
          f"{(int(rss) - int(idle)) * 1024 / n:>7.0f} {mib(hwm):>6.1f} {mib(anon):>6.1f} {mib(file):>6.1f}  {check}")
print("\nmedians over rounds:")
for t in dict.fromkeys(r[1] for r in rows):
    v = [r for r in rows if r[1] == t]
    above = statistics.median(mib(r[3]) - mib(r[2]) for r in v)
    print(f"  {t:<11} idle {statistics.median(mib(r[2]) for r in v):.1f} MiB, with {n} idle peers "
          f"{statistics.median(mib(r[3]) for r in v):.1f} MiB: {above:.1f} MiB above idle, "
          f"{above * 1048576 / n:.0f} bytes per peer")
EOF
