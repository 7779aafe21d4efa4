#!/usr/bin/env bash
# End-to-end throughput of Hayate against two baselines, measured in the same session, alternating A/B/C.
#
#   benchmarks/load.sh                                   # everything, defaults below (~22 min)
#   DURATION=5 WARMUP=3 ROUNDS=1 benchmarks/load.sh      # quick look
#   TARGETS="ceiling opentracker" benchmarks/load.sh     # skip a target (e.g. before target/hayate.jar exists)
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/load.sh   # the JDK for the Java servers
#
# It builds nothing. It needs, from the repository top:
#   mvn -q package -DskipTests                       -> target/hayate.jar
#   mvn -q install -DskipTests && mvn -q -f benchmarks/pom.xml package   -> benchmarks/target/benchmarks.jar
# and wrk, opentracker and python3 on PATH.
#
# Targets (ports in lib.sh, 127.0.0.1 only):
#   hayate       the tracker under test (target/hayate.jar, built-in defaults, in-memory store)
#   ceiling      Undertow answering a fixed 100-byte body from the IO thread: the ceiling of our HTTP stack
#   floor        (only when named in TARGETS) plain JDK NIO answering a fixed body, one SO_REUSEPORT selector thread
#                per core: the floor of a Java server's per-connection cost (dev.hayate.bench.NioFloorServer)
#   opentracker  Debian's opentracker; it closes the connection after every answer without saying so, so wrk
#                counts one read error per request (not a failure) and it is in effect measured with a new TCP
#                connection per request in every scenario
# Scenarios (wrk -t2 -c$CONNS -d${DURATION}s --latency with the tracker.lua scripts beside this file):
#   announce64   announce mix (Zipf over $TORRENTS torrents, fresh random peers), 64 connections
#   announce8    the same at 8 connections
#   hot          every announce to one torrent from a pool of 5,000 peers, 64 connections
#   pooled64     the announce mix, but each announce's peer drawn from a pool of $POOL_PEERS (default 5,000, as hot)
#                per torrent (tracker.lua's PEERS=): re-announces like hot, over Zipf-spread swarms. hot / pooled64
#                is the hot-swarm ratio with the peer pool held equal, so it isolates swarm size
#   scrape       BEP 48 scrapes of one Zipf-picked hash, 64 connections
#   close64      announce mix with Connection: close (a new TCP connection per request), 64 connections
#
# For each scenario and each round, each target is started fresh, warmed up ($WARMUP s of the same load; CHECK=1
# for Hayate, which validates every body and fails the run on any non-200 or failure reason), measured once, and
# stopped. Every measured run is checked too: a refusal ("tracker is full", opentracker's "not authorized") is an
# HTTP 200 that wrk counts as throughput, so Hayate's hayate_failures_total (read from its admin listener,
# 127.0.0.1:$HAYATE_ADMIN_PORT, see lib.sh) must not move during the measured run, and opentracker must answer a
# real announce (lib.sh's announce_probe) once it is up. Either failing stops the script. The target order rotates from round to round. The summary gives per target the median over rounds of
# req/s, p50 and p99, and the median over rounds of the per-round ratios Hayate/ceiling and Hayate/opentracker.
# tracker.lua's knobs (PEERS, TORRENTS, ZIPF_S, NUMWANT, ...) pass through from the environment.
# Raw wrk output stays in a temp directory that is deleted at exit; set KEEP_RAW=DIR to copy it somewhere
# (never into the repository).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-10}
WRK_THREADS=${WRK_THREADS:-2}
TARGETS=${TARGETS:-hayate ceiling opentracker}
SCENARIOS=${SCENARIOS:-announce64 announce8 hot pooled64 scrape close64}
POOL_PEERS=${POOL_PEERS:-5000}
KEEP_RAW=${KEEP_RAW:-}

command -v wrk >/dev/null || die "wrk not installed (apt-get install wrk)"
command -v python3 >/dev/null || die "python3 not installed"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $DURATION =~ ^[1-9][0-9]*$ && $DURATION -le 300 ]] || die "DURATION must be 1..300 seconds"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 300 ]] || die "WARMUP must be 0..300 seconds"
[[ $POOL_PEERS =~ ^[1-9][0-9]*$ ]] || die "POOL_PEERS must be a positive number"
command -v curl >/dev/null || die "curl not installed (it reads Hayate's /metrics and probes opentracker)"

read -r -a targets <<<"$TARGETS"
read -r -a scenarios <<<"$SCENARIOS"
for t in "${targets[@]}"; do
  why=$(target_available "$t") || die "$why (or leave $t out: TARGETS=\"...\")"
done

# scenario -> script connections close peer-pool (tracker.lua's PEERS; "-" keeps the caller's PEERS, default 0)
scenario_args() {
  case $1 in
    announce64) echo "announce.lua 64 0 -" ;;
    announce8) echo "announce.lua 8 0 -" ;;
    hot) echo "hot.lua 64 0 -" ;;
    pooled64) echo "announce.lua 64 0 $POOL_PEERS" ;;
    scrape) echo "scrape.lua 64 0 -" ;;
    close64) echo "announce.lua 64 1 -" ;;
    *) die "unknown scenario $1 (announce64 announce8 hot pooled64 scrape close64)" ;;
  esac
}
for s in "${scenarios[@]}"; do scenario_args "$s" >/dev/null; done

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
total_runs=$(( ${#scenarios[@]} * ROUNDS * ${#targets[@]} ))
log "$total_runs runs of ~$((WARMUP + DURATION + 3)) s each: about $(( total_runs * (WARMUP + DURATION + 3) / 60 )) min"

run=0
for s in "${scenarios[@]}"; do
  read -r script conns close pool <<<"$(scenario_args "$s")"
  peers=${PEERS:-0}; [[ $pool != - ]] && peers=$pool
  for ((r = 1; r <= ROUNDS; r++)); do
    # rotate the order so that no target always runs first (or right after the same one)
    order=("${targets[@]:$(( (r - 1) % ${#targets[@]} ))}" "${targets[@]:0:$(( (r - 1) % ${#targets[@]} ))}")
    for t in "${order[@]}"; do
      run=$((run + 1))
      start_target "$t"
      url="http://127.0.0.1:$SERVER_PORT/announce"
      raw="$WORK/raw-$s-$t-$r"
      [[ $t == ceiling ]] || announce_probe "$t" "$url"
      if ((WARMUP > 0)); then
        check=0; [[ $t == hayate ]] && check=1
        PEERS=$peers CHECK=$check CLOSE=$close wrk -t"$WRK_THREADS" -c"$conns" -d"${WARMUP}s" -s "$BENCH_DIR/$script" "$url" \
          >"$raw.warmup" 2>&1 || die "wrk warm-up failed for $t/$s: $(tail -3 "$raw.warmup")"
        if [[ $check == 1 ]]; then
          line=$(grep '^RIGCHECK' "$raw.warmup" || true)
          [[ -n $line ]] || die "no RIGCHECK line from the $t warm-up"
          # responses=N non200=N failure_reason=N not_bdict=N noncompact=N avg_peers=X
          read -r resp non200 fail notdict _ <<<"$(sed -E 's/[a-z_0-9]+=//g; s/^RIGCHECK //' <<<"$line")"
          if ((resp == 0 || non200 > 0 || fail > 0 || notdict > 0)); then
            die "$t gave bad answers in the $s warm-up: $line"
          fi
        fi
      fi
      [[ $t == hayate ]] && failures_before=$(hayate_failures)
      PEERS=$peers CHECK=0 CLOSE=$close wrk -t"$WRK_THREADS" -c"$conns" -d"${DURATION}s" --latency -s "$BENCH_DIR/$script" "$url" \
        >"$raw" 2>&1 || die "wrk failed for $t/$s: $(tail -3 "$raw")"
      if [[ $t == hayate ]]; then
        failures_after=$(hayate_failures)
        ((failures_after == failures_before)) ||
          die "hayate answered $((failures_after - failures_before)) failure(s) in the measured $s run (hayate_failures_total $failures_before -> $failures_after): not a throughput figure"
      fi
      stop_server "$SERVER_PID"
      line=$(grep '^RIG ' "$raw") || die "no RIG line in wrk output for $t/$s"
      # wrk reports responses it could not parse or that were not 2xx/3xx as err_status
      printf '%s\t%s\t%s\t%s\n' "$s" "$t" "$r" "$line" >>"$RESULTS"
      log "[$run/$total_runs] $s round $r $t: $(sed -E 's/.*rps=([0-9]+) p50_ms=([0-9.]+).* p99_ms=([0-9.]+).*err_connect=([0-9]+) err_read=([0-9]+) err_write=([0-9]+) err_timeout=([0-9]+) err_status=([0-9]+).*/\1 req\/s p50 \2 ms p99 \3 ms errors c\/r\/w\/t\/s=\4\/\5\/\6\/\7\/\8/' <<<"$line")"
    done
  done
done

[[ -n $KEEP_RAW ]] && { mkdir -p "$KEEP_RAW"; cp "$WORK"/raw-* "$RESULTS" "$KEEP_RAW"/; }

echo
echo "# Hayate end-to-end load: wrk -t$WRK_THREADS -d${DURATION}s --latency (warm-up ${WARMUP}s), $ROUNDS round(s), medians"
machine_info
python3 - "$RESULTS" "${scenarios[*]}" "${targets[*]}" <<'EOF'
import sys, statistics
path, scenarios, targets = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
rows = {}
for line in open(path):
    s, t, r, rig = line.rstrip("\n").split("\t")
    kv = dict(x.split("=", 1) for x in rig.split()[1:])
    rows.setdefault((s, t), {})[int(r)] = kv
med = statistics.median
print(f"{'scenario':<11} {'target':<12} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors/run':>10}  rounds: req/s")
for s in scenarios:
    for t in targets:
        d = rows.get((s, t), {})
        if not d:
            continue
        rps = [float(v["rps"]) for v in d.values()]
        errs = [sum(int(v[k]) for k in ("err_connect", "err_read", "err_write", "err_timeout", "err_status")) for v in d.values()]
        print(f"{s:<11} {t:<12} {med(rps):>9.0f} {med(float(v['p50_ms']) for v in d.values()):>8.3f} "
              f"{med(float(v['p99_ms']) for v in d.values()):>8.3f} {med(errs):>10.0f}  "
              + " ".join(f"{x:.0f}" for x in rps))
print()
print("ratios of req/s, median over rounds of the same-round ratio (>1: Hayate faster)")
print(f"{'scenario':<11} {'hayate/ceiling':>15} {'hayate/opentracker':>19}")
for s in scenarios:
    def ratio(other):
        h, o = rows.get((s, "hayate"), {}), rows.get((s, other), {})
        rs = [float(h[r]["rps"]) / float(o[r]["rps"]) for r in h if r in o and float(o[r]["rps"]) > 0]
        return f"{med(rs):.2f}" if rs else "n/a"
    print(f"{s:<11} {ratio('ceiling'):>15} {ratio('opentracker'):>19}")
if "hot" in scenarios and "pooled64" in scenarios:
    for t in targets:
        h, p = rows.get(("hot", t), {}), rows.get(("pooled64", t), {})
        rs = [float(h[r]["rps"]) / float(p[r]["rps"]) for r in h if r in p and float(p[r]["rps"]) > 0]
        if rs:
            print(f"hot / pooled64 ({t}, same round): {med(rs):.2f}  rounds: " + " ".join(f"{x:.2f}" for x in rs))
    # wrk's own cost differs between the two scripts (hot draws no Zipf rank), which moves even the fixed-body
    # ceiling; Hayate's share of the ceiling in each scenario takes that out.
    h, p = rows.get(("hot", "hayate"), {}), rows.get(("pooled64", "hayate"), {})
    ch, cp = rows.get(("hot", "ceiling"), {}), rows.get(("pooled64", "ceiling"), {})
    rs = [(float(h[r]["rps"]) / float(ch[r]["rps"])) / (float(p[r]["rps"]) / float(cp[r]["rps"]))
          for r in h if r in p and r in ch and r in cp]
    if rs:
        print(f"(hayate/ceiling in hot) / (hayate/ceiling in pooled64): {med(rs):.2f}  rounds: "
              + " ".join(f"{x:.2f}" for x in rs))
if "floor" in targets:
    print()
    print(f"{'scenario':<11} " + " ".join(f"{t + '/floor':>18}" for t in targets if t != "floor"))
    for s in scenarios:
        f = rows.get((s, "floor"), {})
        cells = []
        for t in targets:
            if t == "floor":
                continue
            o = rows.get((s, t), {})
            rs = [float(o[r]["rps"]) / float(f[r]["rps"]) for r in o if r in f and float(f[r]["rps"]) > 0]
            cells.append(f"{(f'{med(rs):.2f}' if rs else 'n/a'):>18}")
        print(f"{s:<11} " + " ".join(cells))
if "ceiling" in targets and "opentracker" in targets:
    print()
    print(f"{'scenario':<11} {'opentracker/ceiling':>20}")
    for s in scenarios:
        c, o = rows.get((s, "ceiling"), {}), rows.get((s, "opentracker"), {})
        rs = [float(o[r]["rps"]) / float(c[r]["rps"]) for r in o if r in c and float(c[r]["rps"]) > 0]
        print(f"{s:<11} {(f'{med(rs):.2f}' if rs else 'n/a'):>20}")
print()
print("opentracker closes every connection after its answer: its err_read count is one per request, not failures.")
EOF
