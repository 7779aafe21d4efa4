#!/usr/bin/env bash
# Per-connection cost under close64 (wrk -t2 -c64, Connection: close: a new TCP connection per request):
# server CPU time per request (utime+stime from /proc/PID/stat over a plain wrk run), then syscalls per request
# (strace -c -f attached for a second wrk run; strace slows the server, the counts per request stay exact), and
# the server's open fds before and after the load (a leak shows as a difference once the load has drained).
#
#   flock /tmp/hayate-bench.lock benchmarks/conn-profile.sh
#   TARGETS="hayate floor" DURATION=5 STRACE_DURATION=3 benchmarks/conn-profile.sh
#   HAYATE_ARGS=--http.acceptor=xnio benchmarks/conn-profile.sh      # Hayate on the stock XNIO acceptor
#   JFR=DIR benchmarks/conn-profile.sh     # also a JFR recording per Java target (DIR/TARGET.jfr), for
#                                          # jfr print --events jdk.ExecutionSample / jdk.NativeMethodSample
#                                          # (the CPU figures then include JFR's own cost: take them without)
#
# Targets and ports as in lib.sh (hayate ceiling floor opentracker). Builds nothing (see load.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-6}
WARMUP=${WARMUP:-3}
STRACE_DURATION=${STRACE_DURATION:-3}
TARGETS=${TARGETS:-hayate ceiling floor opentracker}
JFR=${JFR:-}
command -v wrk >/dev/null || die "wrk not installed"
command -v strace >/dev/null || die "strace not installed"
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  why=$(target_available "$t") || die "$why"
done
[[ -n $JFR ]] && mkdir -p "$JFR"

cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # utime stime
fds() { ls "/proc/$1/fd" | wc -l; }
requests() { sed -nE 's/.* ([0-9]+) requests in .*/\1/p' "$1"; }

printf '%-12s %9s %16s %12s %9s %9s  %s\n' target req/s "cpu_us/req(u+s)" syscalls/req fds_before fds_after "top syscalls per request"
for t in "${targets[@]}"; do
  saved_h=$HAYATE_JAVA_OPTS saved_c=$CEILING_JAVA_OPTS
  if [[ -n $JFR && $t != opentracker ]]; then
    rec="-XX:StartFlightRecording=filename=$JFR/$t.jfr,settings=profile,method-profiling=max"
    HAYATE_JAVA_OPTS="$HAYATE_JAVA_OPTS $rec" CEILING_JAVA_OPTS="$CEILING_JAVA_OPTS $rec"
  fi
  start_target "$t"
  HAYATE_JAVA_OPTS=$saved_h CEILING_JAVA_OPTS=$saved_c
  pid=$SERVER_PID
  url="http://127.0.0.1:$SERVER_PORT/announce"
  sleep 0.5
  fd0=$(fds "$pid")
  CLOSE=1 wrk -t2 -c64 -d"${WARMUP}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.warm" 2>&1
  c0=$(cpu_ticks "$pid")
  CLOSE=1 wrk -t2 -c64 -d"${DURATION}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.run" 2>&1
  c1=$(cpu_ticks "$pid")
  n=$(requests "$WORK/$t.run")
  rps=$((n / DURATION))
  read -r u0 s0 <<<"$c0"; read -r u1 s1 <<<"$c1"
  cpu_us=$(python3 -c "t=$(getconf CLK_TCK); print(f'{($u1-$u0+$s1-$s0)*1e6/t/$n:.1f}={($u1-$u0)*1e6/t/$n:.0f}u+{($s1-$s0)*1e6/t/$n:.0f}s')")
  strace -c -f -p "$pid" -o "$WORK/$t.strace" 2>/dev/null &
  spid=$!
  sleep 1
  CLOSE=1 wrk -t2 -c64 -d"${STRACE_DURATION}s" -s "$BENCH_DIR/announce.lua" "$url" >"$WORK/$t.srun" 2>&1
  kill -INT "$spid"; wait "$spid" || true
  sn=$(requests "$WORK/$t.srun")
  sleep 2 # let lingering closes drain before counting fds again
  fd1=$(fds "$pid")
  summary=$(python3 - "$WORK/$t.strace" "$sn" <<'EOF'
import sys, re
path, n = sys.argv[1], int(sys.argv[2])
calls, total = {}, 0
for line in open(path):
    f = line.split()
    if len(f) >= 5 and re.match(r"^[0-9.]+$", f[0]) and f[-1] not in ("total",):
        c = int(f[3]); calls[f[-1]] = c
        total += c
top = sorted(calls.items(), key=lambda kv: -kv[1])[:12]
print(f"{total / n:.1f}\t" + " ".join(f"{k}={v / n:.2f}" for k, v in top))
EOF
)
  stop_server "$pid"
  printf '%-12s %9d %16s %12s %9s %9s  %s\n' "$t" "$rps" "$cpu_us" "${summary%%$'\t'*}" "$fd0" "$fd1" "${summary#*$'\t'}"
done
echo "# wrk -t2 -c64 CLOSE=1 announce.lua, ${DURATION}s for CPU, ${STRACE_DURATION}s under strace -c -f; $(date -u '+%F %T UTC')"
machine_info
