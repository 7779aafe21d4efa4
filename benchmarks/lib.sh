# Shared by load.sh, latency.sh and memory.sh (sourced, not run). Starts the trackers under test on loopback,
# remembers every PID it starts and stops them all (by PID) when the calling script exits, fails or is interrupted.
#
# Targets and their documented ports (127.0.0.1 only; override with the env variables):
#   hayate       HAYATE_PORT=16969  java $HAYATE_JAVA_OPTS -jar target/hayate.jar --http.host=127.0.0.1 --http.port=..
#                or, with HAYATE_VIA_LAUNCHER=1, the release: target/hayate/bin/hayate (its own runtime, conf/jvm.options,
#                then $HAYATE_JAVA_OPTS; conf/tracker.properties holds the built-in defaults) with the same arguments
#                HAYATE_ADMIN_PORT=16974: its admin listener (127.0.0.1, /metrics), read to check runs for failures
#                HAYATE_ENV: NAME=VALUE words put in hayate's environment (e.g. MALLOC_ARENA_MAX=8), either way
#   ceiling      CEILING_PORT=16970 java $CEILING_JAVA_OPTS -cp benchmarks/target/benchmarks.jar dev.hayate.bench.FixedBodyServer
#   opentracker  OT_PORT=16971      opentracker -f <generated conf> (whitelist = gen-hashes.py $TORRENTS)
#   floor        FLOOR_PORT=16972   java $CEILING_JAVA_OPTS -cp benchmarks/target/benchmarks.jar dev.hayate.bench.NioFloorServer
#                (plain JDK NIO, fixed body: the floor of a Java server's per-connection cost, for close64)
# JAVA_HOME selects the JDK for the Java servers (default: the java on PATH).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(dirname "$BENCH_DIR")
HAYATE_JAR=${HAYATE_JAR:-$TOP_DIR/target/hayate.jar}
HAYATE_LAUNCHER=${HAYATE_LAUNCHER:-$TOP_DIR/target/hayate/bin/hayate}
HAYATE_VIA_LAUNCHER=${HAYATE_VIA_LAUNCHER:-0}
BENCH_JAR=${BENCH_JAR:-$BENCH_DIR/target/benchmarks.jar}
HAYATE_PORT=${HAYATE_PORT:-16969}
CEILING_PORT=${CEILING_PORT:-16970}
OT_PORT=${OT_PORT:-16971}
HAYATE_ADMIN_PORT=${HAYATE_ADMIN_PORT:-16974}
FLOOR_PORT=${FLOOR_PORT:-16972}
TORRENTS=${TORRENTS:-100000}
# Java flags for the servers. The same heap for both Java servers; sane for a 2 GB VPS (Hayate's swarms are off-heap).
HAYATE_JAVA_OPTS=${HAYATE_JAVA_OPTS:--Xms256m -Xmx256m}
CEILING_JAVA_OPTS=${CEILING_JAVA_OPTS:--Xms256m -Xmx256m}
HAYATE_ARGS=${HAYATE_ARGS:-}
HAYATE_ENV=${HAYATE_ENV:-}
if [[ -n "${JAVA_HOME:-}" ]]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=$(command -v java); fi

WORK=$(mktemp -d /tmp/hayate-bench.XXXXXX)
STARTED_PIDS=()
SERVER_PID=
SERVER_PORT=

die() { echo "ERROR: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# The JVM flags the release ships (src/dist/conf/jvm.options, what bin/hayate passes), on one line, for scripts that
# run `java FLAGS -jar target/hayate.jar` the way a user of the README's run command gets it.
shipped_java_opts() {
  local file="$TOP_DIR/src/dist/conf/jvm.options"
  [[ -r $file ]] || die "no $file: the release's JVM flags"
  grep -v -E '^[[:space:]]*(#|$)' "$file" | tr '\n' ' '
}

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a process in the background in directory $1 and records its PID (exec: $! is the process itself).
spawn() {
  local dir=$1 logfile=$2; shift 2
  (cd "$dir" && exec "$@") >"$logfile" 2>&1 &
  SERVER_PID=$!
  STARTED_PIDS+=("$SERVER_PID")
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

wait_listening() { # pid port logfile
  local pid=$1 port=$2 logfile=$3
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || { cat "$logfile" >&2; die "server (pid $pid) died at start-up; log above"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "nothing listening on 127.0.0.1:$port after 30 s (log: $logfile)"
}

# Checks that a target can run; prints a reason and returns 1 if not.
target_available() {
  case $1 in
    hayate) [[ -f "$HAYATE_JAR" ]] || { echo "missing $HAYATE_JAR: build it at the top with 'mvn -q package -DskipTests'"; return 1; } ;;
    ceiling) [[ -f "$BENCH_JAR" ]] || { echo "missing $BENCH_JAR: build it with 'mvn -q -f benchmarks/pom.xml package' (after 'mvn -q install -DskipTests' at the top)"; return 1; } ;;
    opentracker) command -v opentracker >/dev/null || { echo "opentracker not installed (apt-get install opentracker)"; return 1; } ;;
    floor) [[ -f "$BENCH_JAR" ]] || { echo "missing $BENCH_JAR (see ceiling)"; return 1; } ;;
    *) echo "unknown target $1 (hayate, ceiling, opentracker, floor)"; return 1 ;;
  esac
}

target_port() {
  case $1 in hayate) echo "$HAYATE_PORT" ;; ceiling) echo "$CEILING_PORT" ;; opentracker) echo "$OT_PORT" ;; floor) echo "$FLOOR_PORT" ;; esac
}

# start_target NAME [extra hayate args...]: starts it fresh; sets SERVER_PID and SERVER_PORT.
start_target() {
  local name=$1; shift
  local port; port=$(target_port "$name")
  port_free "$port" || die "127.0.0.1:$port (for $name) is already in use; set ${name^^}_PORT / OT_PORT"
  local dir="$WORK/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  case $name in
    hayate)
      # Builds with the UDP tracker listen on udp.host (default :: = every interface) and port 6969: keep benchmarks
      # on loopback HTTP only. Older builds reject the unknown key, hence the probe (once per script).
      if [[ -z ${HAYATE_UDP_ARGS+x} ]]; then
        HAYATE_UDP_ARGS=
        if "$JAVA" -jar "$HAYATE_JAR" --print-config 2>/dev/null | grep -q '^udp\.enabled='; then
          HAYATE_UDP_ARGS=--udp.enabled=false
        fi
      fi
      # Run in an empty directory so no ./tracker.properties is picked up: the built-in defaults apply, except the
      # admin listener's port (kept off a Hayate the user may run on the default 6970).
      port_free "$HAYATE_ADMIN_PORT" || die "127.0.0.1:$HAYATE_ADMIN_PORT (hayate's admin) is in use; set HAYATE_ADMIN_PORT"
      # env execs what follows: the PID stays the JVM's
      local run=(env $HAYATE_ENV "$JAVA" $HAYATE_JAVA_OPTS -jar "$HAYATE_JAR") # shellcheck disable=SC2206
      if [[ $HAYATE_VIA_LAUNCHER == 1 ]]; then
        [[ -x $HAYATE_LAUNCHER ]] || die "missing $HAYATE_LAUNCHER: build it at the top with 'mvn -q package -DskipTests'"
        run=(env $HAYATE_ENV HAYATE_JAVA_OPTS="$HAYATE_JAVA_OPTS" "$HAYATE_LAUNCHER") # exec chain: the PID stays the JVM's
      fi
      # shellcheck disable=SC2086
      spawn "$dir" "$dir/server.log" "${run[@]}" \
        --http.host=127.0.0.1 --http.port="$port" --admin.host=127.0.0.1 --admin.port="$HAYATE_ADMIN_PORT" \
        $HAYATE_UDP_ARGS $HAYATE_ARGS "$@" ;;
    ceiling)
      # shellcheck disable=SC2086
      spawn "$dir" "$dir/server.log" "$JAVA" $CEILING_JAVA_OPTS -cp "$BENCH_JAR" dev.hayate.bench.FixedBodyServer "$port" ;;
    floor)
      # shellcheck disable=SC2086
      spawn "$dir" "$dir/server.log" "$JAVA" $CEILING_JAVA_OPTS -cp "$BENCH_JAR" dev.hayate.bench.NioFloorServer "$port" ;;
    opentracker)
      # Debian's build serves whitelisted info_hashes only. The whitelist path is resolved inside tracker.rootdir
      # (opentracker chroots there and drops to tracker.user), so both live in one world-readable directory.
      chmod 755 "$WORK" "$dir"
      python3 "$BENCH_DIR/gen-hashes.py" "$TORRENTS" >"$dir/whitelist.txt"
      chmod 644 "$dir/whitelist.txt"
      local user=_opentracker; id "$user" >/dev/null 2>&1 || user=nobody
      printf 'listen.tcp 127.0.0.1:%s\ntracker.rootdir %s\naccess.whitelist /whitelist.txt\ntracker.user %s\n' \
        "$port" "$dir" "$user" >"$dir/opentracker.conf"
      spawn "$dir" "$dir/server.log" opentracker -f "$dir/opentracker.conf" ;;
  esac
  SERVER_PORT=$port
  wait_listening "$SERVER_PID" "$port" "$dir/server.log"
}

stop_server() { # pid
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "pid $pid ignored SIGTERM for 10 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || true
}

machine_info() {
  echo "# date:        $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "# machine:     nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "# load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: only same-session ratios count)"
  echo "# jdk:         $("$JAVA" -version 2>&1 | sed -n 2p) ($JAVA)"
  echo "# java opts:   hayate: $HAYATE_JAVA_OPTS ${HAYATE_UDP_ARGS:-} $HAYATE_ARGS | ceiling: $CEILING_JAVA_OPTS"
  echo "# wrk:         $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2); opentracker: $(dpkg-query -W -f='${Version}' opentracker 2>/dev/null || echo n/a)"
  echo "# hayate jar:  $HAYATE_JAR $( [[ -f $HAYATE_JAR ]] && date -u -r "$HAYATE_JAR" '+(built %Y-%m-%d %H:%M)')"
  echo "# git:         $(git -C "$TOP_DIR" rev-parse --short HEAD 2>/dev/null || echo n/a)"
  echo "# cpus:        no pinning; load generator and server share all $(nproc) cores"
}

# hayate_failures: the sum of hayate_failures_total over every reason, from the running Hayate's admin listener.
# Fails the script if the listener does not answer: a run that cannot be checked is not a result.
hayate_failures() {
  local body
  body=$(curl -sf --max-time 5 "http://127.0.0.1:$HAYATE_ADMIN_PORT/metrics") ||
    die "no /metrics from hayate's admin listener on 127.0.0.1:$HAYATE_ADMIN_PORT"
  awk '/^hayate_failures_total[{ ]/ {s += $NF; n++} END {if (!n) exit 1; printf "%.0f\n", s}' <<<"$body" ||
    die "no hayate_failures_total series in hayate's /metrics"
}

# announce_probe NAME URL: one real announce (torrent 1 of gen-hashes.py, a fresh peer, numwant 0) must get a
# bencoded dictionary with an interval and no failure reason. Catches a target that answers every request with a
# refusal (opentracker's whitelist "not authorized", "tracker is full"): those are HTTP 200s, so wrk counts them.
announce_probe() {
  local name=$1 url=$2 hex enc body
  hex=$(python3 "$BENCH_DIR/gen-hashes.py" 1)
  enc=$(sed 's/../%&/g' <<<"$hex")
  body=$(curl -s --max-time 5 "$url?info_hash=$enc&peer_id=-PROBE0-$(printf '%012d' $$)&port=6881&uploaded=0&downloaded=0&left=1000&event=started&numwant=0&compact=1" |
    tr -c '[:print:]' '.') || die "$name: no answer to a probe announce at $url"
  [[ $body == d*e && $body == *8:interval* && $body != *"failure reason"* ]] ||
    die "$name refused a real announce: ${body:0:200}"
}
