#!/usr/bin/env bash
# BEP 15 (UDP) announce throughput of Hayate against opentracker, measured in the same session, alternating A B A B.
#
#   benchmarks/udp-load.sh                                   # 3 rounds x 2 targets, 10 s warm-up + 15 s each, ~3 min
#   DURATION=5 WARMUP=3 ROUNDS=1 benchmarks/udp-load.sh      # quick look
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/udp-load.sh   # the JDK for Hayate
#   REUSE=0 benchmarks/udp-load.sh                           # a connect before every announce
#   PEERS=50000 benchmarks/udp-load.sh                       # peer_ids from a pool (tracker.lua's PEERS): updates
#   NUMWANT=0 benchmarks/udp-load.sh                         # no peer selection: the announce write path alone
#
# Builds nothing; needs target/hayate.jar and benchmarks/target/benchmarks.jar (see load.sh) and opentracker.
# The load comes from dev.hayate.bench.UdpLoadGenerator (benchmarks.jar), run on CLIENT_JAVA (the java on PATH,
# whatever JAVA_HOME selects for Hayate): closed loop, $SOCKETS sockets x $WINDOW simulated clients, each with one
# request in flight, each reusing its connection id for $REUSE s; tracker.lua's announce mix and info_hashes.
#
# Targets, each started fresh for every run (127.0.0.1 only; every PID is stopped at exit by lib.sh):
#   hayate       java $HAYATE_JAVA_OPTS -jar target/hayate.jar --http.host=127.0.0.1 --http.port=$HAYATE_PORT
#                --udp.host=127.0.0.1 --udp.port=$UDP_PORT --admin.enabled=false $HAYATE_UDP_ARGS
#                (udp.threads: one per core; HAYATE_UDP_ARGS default --store.max_peers=10000000, see below)
#   opentracker  Debian's opentracker, TCP on $OT_PORT (only to see it is up) and UDP on $UDP_PORT, whitelist from
#                gen-hashes.py $TORRENTS, listen.udp.workers $OT_UDP_WORKERS (default nproc, as Hayate's udp
#                threads; 0 = UDP in its main loop)
# Each run: the generator warms the fresh target up for $WARMUP s (not measured), then measures $DURATION s. The
# run fails on any invalid reply, on error replies (opentracker's answer to a hash it does not whitelist), or on no
# answered announce. The summary gives the median over rounds of announce replies/s, p50/p99 and loss, and the
# median of the per-round ratios Hayate/opentracker.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
UDP_PORT=${UDP_PORT:-16973}
SOCKETS=${SOCKETS:-8}
WINDOW=${WINDOW:-16}
CLIENT_THREADS=${CLIENT_THREADS:-1}
REUSE=${REUSE:-60}
PEERS=${PEERS:-0}
NUMWANT=${NUMWANT:-50}
# The default mix adds one new peer per announce (fresh random peer_ids, as tracker.lua), far past Hayate's default
# store.max_peers (2,000,000) at UDP rates; then Hayate answers "tracker full" errors. Raise it (opentracker has no cap).
HAYATE_UDP_ARGS=${HAYATE_UDP_ARGS:---store.max_peers=10000000}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
OT_UDP_WORKERS=${OT_UDP_WORKERS:-$(nproc)}
TARGETS=${TARGETS:-hayate opentracker}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}
CLIENT_JAVA_OPTS=${CLIENT_JAVA_OPTS:--Xms256m -Xmx256m}

command -v python3 >/dev/null || die "python3 not installed"
[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the load generator"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $DURATION =~ ^[1-9][0-9]*$ && $DURATION -le 300 ]] || die "DURATION must be 1..300 seconds"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 300 ]] || die "WARMUP must be 0..300 seconds"
[[ $OT_UDP_WORKERS =~ ^[0-9]+$ && $OT_UDP_WORKERS -le 64 ]] || die "OT_UDP_WORKERS must be 0..64"
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  why=$(target_available "$t") || die "$why (or leave $t out: TARGETS=\"...\")"
done

udp_port_free() { ! ss -Huln "sport = :$1" | grep -q .; }

# start_udp_target NAME: like lib.sh's start_target, plus the UDP listener on $UDP_PORT. Sets SERVER_PID.
start_udp_target() {
  local name=$1
  udp_port_free "$UDP_PORT" || die "UDP 127.0.0.1:$UDP_PORT is already in use; set UDP_PORT"
  case $name in
    hayate)
      # shellcheck disable=SC2086
      start_target hayate --udp.host=127.0.0.1 --udp.port="$UDP_PORT" --admin.enabled=false $HAYATE_UDP_ARGS ;;
    opentracker)
      # lib.sh's opentracker set-up (whitelist inside tracker.rootdir, dropped privileges) with UDP added.
      # listen.udp.workers must come before listen.udp: opentracker binds as it reads the file.
      port_free "$OT_PORT" || die "127.0.0.1:$OT_PORT (for opentracker) is already in use; set OT_PORT"
      local dir="$WORK/opentracker-udp"
      rm -rf "$dir"; mkdir -p "$dir"
      chmod 755 "$WORK" "$dir"
      python3 "$BENCH_DIR/gen-hashes.py" "$TORRENTS" >"$dir/whitelist.txt"
      chmod 644 "$dir/whitelist.txt"
      local user=_opentracker; id "$user" >/dev/null 2>&1 || user=nobody
      {
        printf 'listen.tcp 127.0.0.1:%s\n' "$OT_PORT"
        ((OT_UDP_WORKERS > 0)) && printf 'listen.udp.workers %s\n' "$OT_UDP_WORKERS"
        printf 'listen.udp 127.0.0.1:%s\ntracker.rootdir %s\naccess.whitelist /whitelist.txt\ntracker.user %s\n' \
          "$UDP_PORT" "$dir" "$user"
      } >"$dir/opentracker.conf"
      spawn "$dir" "$dir/server.log" opentracker -f "$dir/opentracker.conf"
      wait_listening "$SERVER_PID" "$OT_PORT" "$dir/server.log" ;;
  esac
  for _ in $(seq 50); do ! udp_port_free "$UDP_PORT" && return 0; sleep 0.1; done
  die "$name is not listening on UDP 127.0.0.1:$UDP_PORT"
}

RESULTS="$WORK/udp-load.tsv"
: >"$RESULTS"
total_runs=$((ROUNDS * ${#targets[@]}))
log "$total_runs runs of ~$((WARMUP + DURATION + 4)) s each: about $(( (total_runs * (WARMUP + DURATION + 4) + 59) / 60 )) min"
run=0
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${targets[@]:$(( (r - 1) % ${#targets[@]} ))}" "${targets[@]:0:$(( (r - 1) % ${#targets[@]} ))}")
  for t in "${order[@]}"; do
    run=$((run + 1))
    start_udp_target "$t"
    out="$WORK/gen-$t-$r.txt"
    status=0
    # shellcheck disable=SC2086
    "$CLIENT_JAVA" $CLIENT_JAVA_OPTS -cp "$BENCH_JAR" dev.hayate.bench.UdpLoadGenerator host=127.0.0.1 \
      port="$UDP_PORT" duration="$DURATION" warmup="$WARMUP" sockets="$SOCKETS" window="$WINDOW" \
      threads="$CLIENT_THREADS" reuse="$REUSE" timeout_ms="$TIMEOUT_MS" torrents="$TORRENTS" peers="$PEERS" \
      numwant="$NUMWANT" label="$t" >"$out" 2>&1 || status=$?
    line=$(grep '^UDPLOAD' "$out" || true)
    ((status == 0)) && [[ -n $line ]] || die "UDP load generator failed against $t (exit $status): $(tail -8 "$out")"
    stop_server "$SERVER_PID"
    if grep -qE ' (errors|invalid)=[1-9]' <<<"$line"; then
      die "$t gave error or invalid replies: $line"
    fi
    printf '%s\t%s\t%s\n' "$t" "$r" "$line" >>"$RESULTS"
    log "[$run/$total_runs] round $r $t: $(sed -E 's/.*announce_rps=([0-9]+).*loss_pct=([0-9.]+) p50_ms=([0-9.]+).*p99_ms=([0-9.]+).*/\1 announces\/s loss \2% p50 \3 ms p99 \4 ms/' <<<"$line")"
  done
done

echo
echo "# Hayate UDP (BEP 15) announce load: $SOCKETS sockets x $WINDOW in flight, connection ids reused ${REUSE}s," \
  "${DURATION}s (warm-up ${WARMUP}s), $ROUNDS round(s), medians"
machine_info
echo "# client:      dev.hayate.bench.UdpLoadGenerator threads=$CLIENT_THREADS on $("$CLIENT_JAVA" -version 2>&1 | sed -n 2p)"
echo "# opentracker: listen.udp.workers $OT_UDP_WORKERS; hayate: udp.threads one per core, $HAYATE_UDP_ARGS; PEERS=$PEERS NUMWANT=$NUMWANT"
python3 - "$RESULTS" "${targets[*]}" <<'EOF'
import sys, statistics
path, targets = sys.argv[1], sys.argv[2].split()
rows = {}
for line in open(path):
    t, r, rig = line.rstrip("\n").split("\t")
    rows.setdefault(t, {})[int(r)] = dict(x.split("=", 1) for x in rig.split()[1:])
med = statistics.median
print(f"{'target':<12} {'announce/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'loss %':>8} {'connects':>9} "
      f"{'avg peers':>9}  rounds: announce/s")
for t in targets:
    d = rows.get(t, {})
    if not d:
        continue
    f = lambda k: med(float(v[k]) for v in d.values())
    print(f"{t:<12} {f('announce_rps'):>10.0f} {f('p50_ms'):>8.3f} {f('p99_ms'):>8.3f} {f('p999_ms'):>9.3f} "
          f"{f('loss_pct'):>8.4f} {f('connects'):>9.0f} {f('avg_peers'):>9.1f}  "
          + " ".join(f"{float(v['announce_rps']):.0f}" for _, v in sorted(d.items())))
h, o = rows.get("hayate", {}), rows.get("opentracker", {})
rs = [float(h[r]["announce_rps"]) / float(o[r]["announce_rps"]) for r in h if r in o and float(o[r]["announce_rps"]) > 0]
if rs:
    print()
    print(f"hayate/opentracker announce/s: median {med(rs):.2f} (rounds: {' '.join(f'{x:.2f}' for x in rs)}; >1: Hayate faster)")
EOF
