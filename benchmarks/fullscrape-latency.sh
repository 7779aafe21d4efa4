#!/usr/bin/env bash
# Announce latency while full-scrape builds run (scrape.full, issue 13): one Hayate filled with $FILL_TORRENTS
# torrents (one seeder each, LoadClient mode=fill), then announces at a fixed $RATE req/s (LoadClient mode=rate,
# open loop, Zipf over the filled torrents) for $LAT_DURATION s, once with nothing else running ("quiet") and once
# while a loop fetches the full scrape from the admin listener with scrape.full_cache_seconds=1, so builds run back
# to back for the whole measurement ("building"). $ROUNDS rounds, the order alternating; medians.
#
#   benchmarks/fullscrape-latency.sh                        # 600,000 torrents, 5,000 req/s, 20 s, 3 rounds
#   FILL_TORRENTS=100000 ROUNDS=1 benchmarks/fullscrape-latency.sh
#
# Every run must hold: the fill exits 0, each "building" phase completes at least one build
# (hayate_full_scrape_builds_total grows) and the snapshot holds every filled torrent. Builds nothing; needs
# target/hayate.jar and benchmarks/target/benchmarks.jar.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

FILL_TORRENTS=${FILL_TORRENTS:-600000}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-5000}
LAT_DURATION=${LAT_DURATION:-20}
LAT_WARMUP=${LAT_WARMUP:-5}
WARMUP=${WARMUP:-15}
LAT_CONNECTIONS=${LAT_CONNECTIONS:-64}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package)"
[[ $FILL_TORRENTS =~ ^[1-9][0-9]*$ && $FILL_TORRENTS -le 1000000 ]] || die "FILL_TORRENTS must be 1..1000000"
[[ $ROUNDS =~ ^[1-9]$ ]] || die "ROUNDS must be 1..9"
[[ $LAT_DURATION =~ ^[1-9][0-9]*$ && $LAT_DURATION -le 120 ]] || die "LAT_DURATION must be 1..120 seconds"
why=$(target_available hayate) || die "$why"

ADMIN="http://127.0.0.1:$HAYATE_ADMIN_PORT"
metric() { curl -sf --max-time 10 "$ADMIN/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
# server-side handling time of HTTP requests (parse to response written, on the IO thread): count, <=1 ms, <=5 ms
server_hist() {
  curl -sf --max-time 10 "$ADMIN/metrics" | awk '
    /^hayate_request_latency_seconds_count\{protocol="http"/ {c = $2}
    /^hayate_request_latency_seconds_bucket\{protocol="http",le="0.001"/ {a = $2}
    /^hayate_request_latency_seconds_bucket\{protocol="http",le="0.005"/ {b = $2}
    END {printf "%d %d %d\n", c, a, b}'
}

start_target hayate --scrape.full=admin --scrape.full_cache_seconds=1
pid=$SERVER_PID
url="http://127.0.0.1:$SERVER_PORT/announce"
log "filling $FILL_TORRENTS torrents"
out=$("$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=fill url="$url" \
  torrents="$FILL_TORRENTS" peers=1 connections=64 2>&1) || die "fill failed: $(grep '^FILL' <<<"$out" || tail -3 <<<"$out")"
log "$(grep '^FILL torrents' <<<"$out")"

# One build on its own first: its size and time, and that it holds every torrent.
curl -sf --max-time 120 -H 'Accept-Encoding: gzip' -o "$WORK/full.gz" "$ADMIN/scrape" || die "no full scrape"
torrents=$(metric hayate_full_scrape_torrents)
[[ ${torrents%.*} == "$FILL_TORRENTS" ]] || die "the full scrape holds $torrents torrents, not $FILL_TORRENTS"
plain=$(gzip -dc "$WORK/full.gz" | wc -c)
build_line=$(grep -m1 'full scrape built' "$WORK/hayate/server.log" | sed 's/.*full scrape built: //')
log "first build: $build_line; gzip $(stat -c %s "$WORK/full.gz") bytes, plain $plain bytes"

scraper() { # seconds: fetch the full scrape in a loop (gzip), so builds run back to back
  local end=$((SECONDS + $1))
  while ((SECONDS < end)); do
    curl -s --max-time 60 -H 'Accept-Encoding: gzip' -o /dev/null "$ADMIN/scrape" || true
  done
}

# Warm-up, not measured: the announce path and the builder get JIT-compiled before either phase is measured.
log "warm-up: ${WARMUP}s of announces at $RATE req/s with builds running"
scraper "$WARMUP" &
STARTED_PIDS+=("$!")
warm_pid=$!
"$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=rate url="$url" rate="$RATE" \
  duration="$WARMUP" warmup=1 connections="$LAT_CONNECTIONS" threads=1 torrents="$FILL_TORRENTS" close=0 >/dev/null ||
  die "load client failed in the warm-up"
wait "$warm_pid" || true

RESULTS="$WORK/fullscrape.tsv"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
  phases=(quiet building); ((r % 2 == 0)) && phases=(building quiet)
  for phase in "${phases[@]}"; do
    before=$(metric hayate_full_scrape_builds_total)
    read -r c0 a0 b0 < <(server_hist)
    if [[ $phase == building ]]; then
      scraper $((LAT_WARMUP + LAT_DURATION + 2)) &
      SCRAPER_PID=$!
      STARTED_PIDS+=("$SCRAPER_PID")
    fi
    line=$("$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=rate url="$url" \
      rate="$RATE" duration="$LAT_DURATION" warmup="$LAT_WARMUP" connections="$LAT_CONNECTIONS" threads=1 \
      torrents="$FILL_TORRENTS" close=0 | grep '^FIXEDRATE') || die "load client failed"
    if [[ $phase == building ]]; then
      wait "$SCRAPER_PID" || true
    fi
    after=$(metric hayate_full_scrape_builds_total)
    read -r c1 a1 b1 < <(server_hist)
    # requests the server took over 1 ms / over 5 ms to handle, per million (tracker port only)
    over=$(awk -v c=$((c1 - c0)) -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'BEGIN {printf "server_over1ms_ppm=%.0f server_over5ms_ppm=%.0f", (c - a) * 1e6 / c, (c - b) * 1e6 / c}')
    line="$line $over"
    builds=$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%d", a - b}')
    [[ $phase == quiet || $builds -ge 1 ]] || die "no full scrape build ran during the building phase"
    printf '%s\t%s\t%s\t%s\n' "$phase" "$r" "$builds" "$line" >>"$RESULTS"
    log "round $r $phase (builds $builds): $line"
  done
done
build_ms=$(grep 'full scrape built' "$WORK/hayate/server.log" | sed -E 's/.* in ([0-9]+) ms.*/\1/' | sort -n |
  awk '{a[NR] = $1} END {printf "%d (min %d, max %d, %d builds)", a[int((NR + 1) / 2)], a[1], a[NR], NR}')
stop_server "$pid"

echo
echo "# Announce latency at $RATE req/s (${LAT_DURATION}s, $LAT_CONNECTIONS keep-alive connections) against $FILL_TORRENTS torrents,"
echo "# quiet vs full-scrape builds running back to back (scrape.full_cache_seconds=1), $ROUNDS round(s), medians"
machine_info
echo "# first build: $build_line; gzip $(stat -c %s "$WORK/full.gz") bytes, plain $plain bytes"
echo "# build time ms, median over all builds: $build_ms"
python3 - "$RESULTS" <<'PY'
import sys, statistics
rows = {}
for line in open(sys.argv[1]):
    phase, r, builds, rig = line.rstrip("\n").split("\t")
    d = dict(x.split("=", 1) for x in rig.split()[1:])
    d["builds"] = builds
    rows.setdefault(phase, []).append(d)
med = lambda xs: statistics.median(xs)
print(f"{'phase':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>8} {'errors':>7} {'builds':>7} {'sendlag p99':>12} {'srv>1ms ppm':>11} {'srv>5ms ppm':>11}  p99 per round")
for phase in ("quiet", "building"):
    d = rows.get(phase, [])
    f = lambda k: med([float(v[k]) for v in d])
    print(f"{phase:<10} {f('achieved_rps'):>8.0f} {f('p50_ms'):>8.3f} {f('p99_ms'):>8.3f} {f('p999_ms'):>9.3f} {f('max_ms'):>8.2f} "
          f"{f('errors') + f('timeouts') + f('non200'):>7.0f} {f('builds'):>7.0f} {f('sendlag_p99_ms'):>12.3f} "
          f"{f('server_over1ms_ppm'):>11.0f} {f('server_over5ms_ppm'):>11.0f}  "
          + " ".join(v['p99_ms'] for v in d))
q = med([float(v['p99_ms']) for v in rows['quiet']]); b = med([float(v['p99_ms']) for v in rows['building']])
print(f"p99 building / quiet: {b / q:.2f}")
print("sendlag: how late the generator itself sent (its scheduling error, included in the latencies).")
print("srv>Nms ppm: requests whose handling on the IO thread (parse to response written) took over N ms, per million:")
print("a lock held by the build would show here; CPU contention on a shared 2-core machine shows in both phases.")
PY
