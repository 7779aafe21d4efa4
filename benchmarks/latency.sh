#!/usr/bin/env bash
# Latency at a fixed request rate (open loop, no coordinated omission): announces at $RATE req/s for $LAT_DURATION s,
# p50/p99/p99.9 per target, alternating targets over $ROUNDS rounds, medians.
#
#   benchmarks/latency.sh                                  # 10,000 req/s for 20 s, 3 rounds, all targets
#   TARGETS="ceiling opentracker" ROUNDS=1 benchmarks/latency.sh
#   LAT_CLOSE=1 benchmarks/latency.sh                      # a new TCP connection per announce (Connection: close)
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/latency.sh
#
# Builds nothing; needs target/hayate.jar and benchmarks/target/benchmarks.jar (see load.sh). The load generator
# is dev.hayate.bench.LoadClient (mode=rate) from benchmarks.jar: Debian has no wrk2, and its "bombardier" package
# is a game. It runs on the java on PATH (CLIENT_JAVA), whatever JAVA_HOME selects for the servers, and prints its
# own scheduling error (sendlag): latencies at or below that are the generator, not the server.
# Each target is started fresh, warmed up with wrk ($WARMUP s announce mix; CHECK=1 for Hayate), then measured.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-10}
RATE=${RATE:-10000}
LAT_DURATION=${LAT_DURATION:-20}
LAT_WARMUP=${LAT_WARMUP:-5}        # the generator's own warm-up at the target rate, not measured
LAT_CONNECTIONS=${LAT_CONNECTIONS:-64}
LAT_THREADS=${LAT_THREADS:-1}
LAT_CLOSE=${LAT_CLOSE:-0}          # 1: every announce on a new TCP connection (Connection: close), as libtorrent does
TARGETS=${TARGETS:-hayate ceiling opentracker}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}

command -v wrk >/dev/null || die "wrk not installed (apt-get install wrk)"
[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the load generator"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $LAT_DURATION =~ ^[1-9][0-9]*$ && $LAT_DURATION -le 300 ]] || die "LAT_DURATION must be 1..300 seconds"
[[ $RATE =~ ^[1-9][0-9]*$ && $RATE -le 200000 ]] || die "RATE must be 1..200000"
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  why=$(target_available "$t") || die "$why (or leave $t out: TARGETS=\"...\")"
done

RESULTS="$WORK/latency.tsv"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  order=("${targets[@]:$(( (r - 1) % ${#targets[@]} ))}" "${targets[@]:0:$(( (r - 1) % ${#targets[@]} ))}")
  for t in "${order[@]}"; do
    start_target "$t"
    url="http://127.0.0.1:$SERVER_PORT/announce"
    if ((WARMUP > 0)); then
      check=0; [[ $t == hayate ]] && check=1
      CHECK=$check CLOSE=0 wrk -t2 -c64 -d"${WARMUP}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/warmup.txt" 2>&1 \
        || die "wrk warm-up failed for $t"
      if [[ $check == 1 ]] && grep -qE '^RIGCHECK .*(non200=[1-9]|failure_reason=[1-9]|not_bdict=[1-9])' "$WORK/warmup.txt"; then
        die "$t gave bad answers in the warm-up: $(grep '^RIGCHECK' "$WORK/warmup.txt")"
      fi
    fi
    line=$("$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=rate url="$url" \
      rate="$RATE" duration="$LAT_DURATION" warmup="$LAT_WARMUP" connections="$LAT_CONNECTIONS" \
      threads="$LAT_THREADS" torrents="$TORRENTS" close="$LAT_CLOSE" | grep '^FIXEDRATE') || die "load client failed against $t"
    stop_server "$SERVER_PID"
    printf '%s\t%s\t%s\n' "$t" "$r" "$line" >>"$RESULTS"
    log "round $r $t: $line"
  done
done

echo
if [[ $LAT_CLOSE == 1 ]]; then conn_mode="a new connection per announce (Connection: close), up to $LAT_CONNECTIONS at once"; else conn_mode="$LAT_CONNECTIONS keep-alive connections"; fi
echo "# Hayate latency at a fixed $RATE req/s, ${LAT_DURATION}s (announce mix, $conn_mode), $ROUNDS round(s), medians"
machine_info
echo "# client:      dev.hayate.bench.LoadClient on $("$CLIENT_JAVA" -version 2>&1 | sed -n 2p)"
python3 - "$RESULTS" "${targets[*]}" <<'EOF'
import sys, statistics
path, targets = sys.argv[1], sys.argv[2].split()
rows = {}
for line in open(path):
    t, r, rig = line.rstrip("\n").split("\t")
    rows.setdefault(t, []).append(dict(x.split("=", 1) for x in rig.split()[1:]))
med = lambda xs: statistics.median(xs)
print(f"{'target':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8} {'unsent':>7} {'errors':>7} {'sendlag p99':>12}")
for t in targets:
    d = rows.get(t, [])
    if not d:
        continue
    f = lambda k: med([float(v[k]) for v in d])
    print(f"{t:<12} {f('achieved_rps'):>8.0f} {f('p50_ms'):>8.3f} {f('p99_ms'):>8.3f} {f('p999_ms'):>9.3f} "
          f"{f('max_ms'):>8.2f} {f('unsent'):>7.0f} {f('errors') + f('timeouts') + f('non200'):>7.0f} {f('sendlag_p99_ms'):>12.3f}")
print("\nsendlag: how late the generator itself sent (its own scheduling error, included in the latencies).")
print("opentracker closes each connection after its answer: the client reconnects (one TCP connection per request).")
EOF
