#!/usr/bin/env bash
# WebTorrent (WebSocket) tracker throughput of Hayate against bittorrent-tracker's server (npm, WebSocket only),
# measured in the same session, target order rotated between rounds.
#
#   flock /tmp/hayate-bench.lock benchmarks/ws-load.sh                      # 3 rounds x 2 targets, ~3 min
#   DURATION=5 WARMUP=3 ROUNDS=1 benchmarks/ws-load.sh                      # quick look
#   PEERS=2000 WS_TORRENTS=500 ZIPF=1.2 benchmarks/ws-load.sh                  # another swarm shape
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/ws-load.sh       # the JDK for Hayate
#
# Builds nothing; needs target/hayate.jar, benchmarks/target/benchmarks.jar (see README.md) and
# `npm ci --ignore-scripts` in benchmarks/ws-reference (bittorrent-tracker 11.2.3, pinned by its package-lock.json).
#
# Load: dev.hayate.bench.WsLoadGenerator (benchmarks.jar) on CLIENT_JAVA, $CLIENT_THREADS selector thread(s):
# $PEERS WebSocket peers, one connection each, over $WS_TORRENTS torrents drawn Zipf($ZIPF); every announce carries
# $OFFERS WebRTC offers (~670-character Chromium SDP, ~4.4 KB a frame, like WebTorrent's), each peer re-announces as
# soon as its reply arrives (closed loop), and answers every offer relayed to it (the tracker routes the answer back).
# Every peer connects and gets its first reply before the measurement; then the generator warms up for $WARMUP s and
# measures $DURATION s: announce replies/s, relayed offers received/s, relayed answers received/s, and the CPU the
# tracker process and the generator used (cores). A run with a failure reason, a message that fails the generator's
# checks (own info_hash echoed byte for byte, offers from other peers only, answers to this peer's own offers), a
# close by the server or an announce left unanswered fails the script.
#
# Targets, each started fresh for every run (127.0.0.1 only; every PID is stopped at exit by lib.sh):
#   hayate   java $HAYATE_JAVA_OPTS -jar target/hayate.jar --http.host=127.0.0.1 --http.port=$HAYATE_PORT
#            (admin listener on $HAYATE_ADMIN_PORT); the WebTorrent tracker on the HTTP port, ws://127.0.0.1:PORT/announce.
#            HAYATE_JAVA_OPTS defaults to the shipped flags (src/dist/conf/jvm.options, what bin/hayate uses)
#   bt-tracker  node benchmarks/ws-reference/server.mjs $WSREF_PORT: bittorrent-tracker's Server({http: false,
#            udp: false, ws: true, stats: false}), its defaults otherwise (it is single-threaded: one core at most)
set -euo pipefail
GIVEN_HAYATE_JAVA_OPTS=${HAYATE_JAVA_OPTS-}
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
PEERS=${PEERS:-1000}
WS_TORRENTS=${WS_TORRENTS:-100}
ZIPF=${ZIPF:-1.0}
OFFERS=${OFFERS:-5}
CLIENT_THREADS=${CLIENT_THREADS:-1}
WSREF_PORT=${WSREF_PORT:-16977}
TARGETS=${TARGETS:-hayate bt-tracker}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}
CLIENT_JAVA_OPTS=${CLIENT_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseSerialGC}
WSREF_DIR="$BENCH_DIR/ws-reference"

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the load generator"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $DURATION =~ ^[1-9][0-9]*$ && $DURATION -le 300 ]] || die "DURATION must be 1..300 seconds"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 300 ]] || die "WARMUP must be 0..300 seconds"
[[ $PEERS =~ ^[1-9][0-9]*$ && $PEERS -le 20000 ]] || die "PEERS must be 1..20000"

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
# 1 connection per peer on both sides of loopback
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) > PEERS + 1000 )) || die "open-files limit $(ulimit -n) too low for $PEERS peers"

# ws_metric NAME: the sum of a hayate_ws_* series over its labels, from Hayate's admin listener
ws_metric() {
  curl -sf --max-time 5 "http://127.0.0.1:$HAYATE_ADMIN_PORT/metrics" |
    awk -v n="$1" '$1 ~ "^"n"([{]|$)" {s += $NF; k++} END {if (!k) exit 1; printf "%.0f\n", s}' ||
    die "no $1 in hayate's /metrics"
}

# start_ws NAME: starts the target fresh; sets SERVER_PID, SERVER_PORT
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

RESULTS="$WORK/ws-load.tsv"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  k=$(( (r - 1) % ${#targets[@]} ))
  for t in "${targets[@]:k}" "${targets[@]:0:k}"; do
    start_ws "$t"
    pid=$SERVER_PID
    extra=""
    [[ $t == hayate ]] && f0=$(ws_metric hayate_ws_failures_total)
    log "round $r: $t (pid $pid) on 127.0.0.1:$SERVER_PORT: $PEERS peers, $WS_TORRENTS torrents, warm-up ${WARMUP}s, ${DURATION}s"
    rc=0
    # in the background through spawn, so that an interrupted script stops the generator too (by PID)
    # shellcheck disable=SC2086
    spawn "$WORK" "$WORK/gen.log" "$CLIENT_JAVA" $CLIENT_JAVA_OPTS -cp "$BENCH_JAR" dev.hayate.bench.WsLoadGenerator \
      mode=load port="$SERVER_PORT" path=/announce peers="$PEERS" torrents="$WS_TORRENTS" zipf="$ZIPF" \
      offers="$OFFERS" threads="$CLIENT_THREADS" duration="$DURATION" warmup="$WARMUP" server_pid="$pid" label="$t"
    wait "$SERVER_PID" || rc=$?
    out=$(cat "$WORK/gen.log")
    line=$(grep '^WSLOAD' <<<"$out" || true)
    ((rc == 0)) || die "$t: the load run failed (exit $rc): ${line:-$(tail -5 <<<"$out")}"
    if [[ $t == hayate ]]; then
      f1=$(ws_metric hayate_ws_failures_total)
      [[ $f1 == "$f0" ]] || die "hayate answered $((f1 - f0)) failure reasons during the run: $line"
      extra="dropped=$(ws_metric hayate_ws_dropped_total) relayed_offers_metric=$(ws_metric hayate_ws_offers_relayed_total)"
    fi
    log "$line $extra"
    stop_server "$pid"
    printf '%s\t%s\t%s %s\n' "$r" "$t" "$line" "$extra" >>"$RESULTS"
  done
done

echo
echo "# WebTorrent tracker load: $PEERS WebSocket peers, $WS_TORRENTS torrents Zipf($ZIPF), $OFFERS offers per announce,"
echo "# closed loop, answers to every relayed offer; ${WARMUP}s warm-up + ${DURATION}s measured per run, $ROUNDS rounds"
machine_info | grep -v -e 'wrk:' -e 'java opts'
echo "# java opts:   hayate: $HAYATE_JAVA_OPTS $HAYATE_ARGS | generator: $CLIENT_JAVA_OPTS, $CLIENT_THREADS thread(s) ($CLIENT_JAVA)"
echo "# node:        $(node --version 2>/dev/null || echo n/a), bittorrent-tracker $(node -p "require('$WSREF_DIR/node_modules/bittorrent-tracker/package.json').version" 2>/dev/null || echo n/a)"
python3 - "$RESULTS" <<'EOF'
import re, statistics, sys
rows = []
for line in open(sys.argv[1]):
    rnd, target, rest = line.rstrip("\n").split("\t", 2)
    kv = dict(re.findall(r"(\w+)=(\S+)", rest))
    rows.append((int(rnd), target, kv))
def num(kv, k):
    try:
        return float(kv[k])
    except (KeyError, ValueError):
        return float("nan")
print(f"{'round':>5} {'target':<11} {'announces/s':>11} {'offers/s':>9} {'answers/s':>9} {'server cores':>12} {'gen cores':>9}")
for rnd, t, kv in rows:
    print(f"{rnd:>5} {t:<11} {num(kv,'announce_rps'):>11.0f} {num(kv,'offers_rps'):>9.0f} {num(kv,'answers_rps'):>9.0f}"
          f" {kv.get('server_cores','?'):>12} {kv.get('gen_cores','?'):>9}")
targets = list(dict.fromkeys(t for _, t, _ in rows))
print("\nmedians over rounds:")
for t in targets:
    v = [kv for _, x, kv in rows if x == t]
    med = lambda k: statistics.median(num(kv, k) for kv in v)
    print(f"  {t:<11} announces/s {med('announce_rps'):>8.0f}  offers relayed/s {med('offers_rps'):>8.0f}"
          f"  answers relayed/s {med('answers_rps'):>8.0f}  server cores {med('server_cores'):.2f}")
if "hayate" in targets and "bt-tracker" in targets:
    by = {}
    for rnd, t, kv in rows:
        by.setdefault(rnd, {})[t] = kv
    for k, what in (("announce_rps", "announces/s"), ("offers_rps", "offers relayed/s")):
        ratios = [num(d["hayate"], k) / num(d["bt-tracker"], k)
                  for d in by.values() if "hayate" in d and "bt-tracker" in d and num(d["bt-tracker"], k) > 0]
        if ratios:
            print(f"  hayate / bt-tracker, {what}: median {statistics.median(ratios):.2f}"
                  f" (per round: {', '.join(f'{x:.2f}' for x in ratios)})")
EOF
