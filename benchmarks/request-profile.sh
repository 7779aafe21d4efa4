#!/usr/bin/env bash
# Per-request cost on keep-alive connections (wrk -t2 -c64, the announce mix, as load.sh's announce64), per target:
# server CPU time per request (utime+stime from /proc/PID/stat over a plain wrk run: shared-machine noise inflates
# it less than req/s) and wrk's own CPU time per request (the load generator shares the two cores), then, in a second run with a JFR recording started by jcmd (settings=profile), heap bytes
# allocated per request (jdk.ThreadAllocationStatistics of the IO threads at the recording's start and end, over the
# requests wrk counted) and the recording itself (DIR/TARGET.jfr) for jfr print / jfr summary.
#
#   flock /tmp/hayate-bench.lock benchmarks/request-profile.sh
#   TARGETS="hayate ceiling" DURATION=6 JFR_DURATION=4 JFR=/tmp/prof benchmarks/request-profile.sh
#   CLOSE=1 benchmarks/request-profile.sh     # a new connection per request (conn-profile.sh adds syscalls)
#   ROUNDS=3 benchmarks/request-profile.sh    # target order rotated per round; medians at the end
#   HAYATE_JAR=/tmp/old/hayate.jar TARGETS=hayate benchmarks/request-profile.sh   # another build of Hayate
#
# Targets and ports as in lib.sh (hayate ceiling floor; Java targets only). Builds nothing (see load.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-6}
WARMUP=${WARMUP:-3}
JFR_DURATION=${JFR_DURATION:-4}
TARGETS=${TARGETS:-hayate ceiling}
ROUNDS=${ROUNDS:-1}
CLOSE=${CLOSE:-0}
JFR=${JFR:-$WORK/jfr}
JFR_OPTS=${JFR_OPTS:-method-profiling=max}
command -v wrk >/dev/null || die "wrk not installed"
JCMD=$(dirname "$JAVA")/jcmd
JFRTOOL=$(dirname "$JAVA")/jfr
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  [[ $t == opentracker ]] && die "Java targets only (hayate ceiling floor)"
  why=$(target_available "$t") || die "$why"
done
mkdir -p "$JFR"

cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # utime stime
requests() { sed -nE 's/.* ([0-9]+) requests in .*/\1/p' "$1"; }

printf '%-10s %5s %9s %18s %14s %12s\n' target round req/s "cpu_us/req(u+s)" alloc_B/req wrk_us/req
ROWS="$WORK/rows.tsv"
: >"$ROWS"
for ((r = 1; r <= ROUNDS; r++)); do
order=("${targets[@]:$(( (r - 1) % ${#targets[@]} ))}" "${targets[@]:0:$(( (r - 1) % ${#targets[@]} ))}")
for t in "${order[@]}"; do
  start_target "$t"
  pid=$SERVER_PID
  url="http://127.0.0.1:$SERVER_PORT/announce"
  sleep 0.5
  CLOSE=$CLOSE wrk -t2 -c64 -d"${WARMUP}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.warm" 2>&1
  c0=$(cpu_ticks "$pid")
  # bash's time keyword: wrk's own user+system CPU seconds (it shares the two cores with the server)
  wrk_cpu=$( { TIMEFORMAT='%U %S'; time CLOSE=$CLOSE wrk -t2 -c64 -d"${DURATION}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.run" 2>&1; } 2>&1 )
  c1=$(cpu_ticks "$pid")
  n=$(requests "$WORK/$t.run")
  rps=$((n / DURATION))
  read -r u0 s0 <<<"$c0"; read -r u1 s1 <<<"$c1"
  cpu_us=$(python3 -c "t=$(getconf CLK_TCK); print(f'{($u1-$u0+$s1-$s0)*1e6/t/$n:.2f}={($u1-$u0)*1e6/t/$n:.1f}u+{($s1-$s0)*1e6/t/$n:.1f}s')")
  read -r wu ws <<<"$wrk_cpu"
  wrk_us=$(python3 -c "print(f'{($wu+$ws)*1e6/$n:.2f}')")
  "$JCMD" "$pid" JFR.start name=rp settings=profile $JFR_OPTS >/dev/null
  CLOSE=$CLOSE wrk -t2 -c64 -d"${JFR_DURATION}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.jrun" 2>&1
  "$JCMD" "$pid" JFR.stop name=rp filename="$JFR/$t-$r.jfr" >/dev/null
  jn=$(requests "$WORK/$t.jrun")
  alloc=$("$JFRTOOL" print --json --events jdk.ThreadAllocationStatistics "$JFR/$t-$r.jfr" | python3 -c '
import sys, json
n = int(sys.argv[1]); seen = {}
for e in json.load(sys.stdin)["recording"]["events"]:
    v = e["values"]; name = (v.get("thread") or {}).get("javaName") or ""
    if "I/O" in name:
        seen.setdefault(name, []).append(v["allocated"])
print(f"{sum(max(x) - min(x) for x in seen.values()) / n:.0f}")' "$jn")
  stop_server "$pid"
  printf '%-10s %5d %9d %18s %14s %12s\n' "$t" "$r" "$rps" "$cpu_us" "$alloc" "$wrk_us"
  printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$rps" "${cpu_us%%=*}" "$alloc" "$wrk_us" >>"$ROWS"
done
done
python3 - "$ROWS" "${targets[*]}" <<'PY'
import sys, statistics
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
med = statistics.median
print("medians over rounds:")
for t in sys.argv[2].split():
    d = [r for r in rows if r[0] == t]
    if d:
        print(f"{t:<10} req/s {med(float(r[1]) for r in d):9.0f}  cpu_us/req {med(float(r[2]) for r in d):6.2f}  "
              f"alloc_B/req {med(float(r[3]) for r in d):6.0f}  wrk_us/req {med(float(r[4]) for r in d):6.2f}")
PY
echo "# wrk -t2 -c64 CLOSE=$CLOSE announce.lua: ${DURATION}s for CPU, then ${JFR_DURATION}s under JFR (recordings in $JFR/TARGET-ROUND.jfr); $(date -u '+%F %T UTC')"
machine_info
