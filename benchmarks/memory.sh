#!/usr/bin/env bash
# Resident memory of a filled tracker: announces $PEERS_PER_TORRENT distinct peers to each of $FILL_TORRENTS
# torrents (default 600,000 x 3 = 1.8M peers) over keep-alive connections, as fast as the tracker answers, then reads
# VmRSS (and its anon/file/shmem parts, and VmHWM) from /proc/PID/status.
# Hayate is measured with persistence off (in-memory store) and on (--store.path=<temp dir>), for each JVM flag set.
#
#   benchmarks/memory.sh                                              # hayate, SerialGC and G1, store off and on
#   TARGETS="opentracker" benchmarks/memory.sh                        # the same fill into opentracker
#   GC_OPTS="-XX:+UseSerialGC" STORES=memory benchmarks/memory.sh     # one configuration
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/memory.sh
#
# Builds nothing; needs target/hayate.jar and benchmarks/target/benchmarks.jar (the filler is
# dev.hayate.bench.LoadClient mode=fill). Peers all come from 127.0.0.1; they are distinct by peer_id.
# The JVM flags tried are HEAP plus each '|'-separated entry of GC_OPTS; they are printed with the figures.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TARGETS=${TARGETS:-hayate}
FILL_TORRENTS=${FILL_TORRENTS:-600000}
PEERS_PER_TORRENT=${PEERS_PER_TORRENT:-3}
FILL_CONNECTIONS=${FILL_CONNECTIONS:-64}
HEAP=${HEAP:--Xms256m -Xmx256m}
GC_OPTS=${GC_OPTS:--XX:+UseSerialGC|-XX:+UseG1GC}
STORES=${STORES:-memory persist}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}
TORRENTS=$FILL_TORRENTS # opentracker's whitelist must hold every filled hash

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the filler"
[[ $FILL_TORRENTS =~ ^[1-9][0-9]*$ && $FILL_TORRENTS -le 5000000 ]] || die "FILL_TORRENTS must be 1..5000000"
[[ $PEERS_PER_TORRENT =~ ^[1-9][0-9]*$ && $PEERS_PER_TORRENT -le 100 ]] || die "PEERS_PER_TORRENT must be 1..100"
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  [[ $t == ceiling ]] && die "the ceiling server stores nothing; memory.sh is for hayate and opentracker"
  why=$(target_available "$t") || die "$why"
done

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="${1:-0}" 'BEGIN {printf "%.0f", kb / 1024}'; }

# scrape_check URL INDEX: the scrape answer for torrent INDEX must count the filled peers
scrape_check() {
  local hex enc body
  hex=$(python3 "$BENCH_DIR/gen-hashes.py" "$2" | tail -1)
  enc=$(sed 's/../%&/g' <<<"$hex")
  body=$(curl -s --max-time 5 "$1/scrape?info_hash=$enc" | tr -c '[:print:]' '.')
  echo "$body"
}

RESULTS="$WORK/memory.tsv"
: >"$RESULTS"
IFS='|' read -r -a gcs <<<"$GC_OPTS"
for t in "${targets[@]}"; do
  if [[ $t == hayate ]]; then configs=(); for g in "${gcs[@]}"; do for s in $STORES; do configs+=("$s|$g"); done; done
  else configs=("memory|-"); fi
  for cfg in "${configs[@]}"; do
    store=${cfg%%|*} gc=${cfg#*|}
    extra=()
    if [[ $t == hayate ]]; then
      HAYATE_JAVA_OPTS="$HEAP $gc"
      [[ $store == persist ]] && { mkdir -p "$WORK/store"; rm -rf "$WORK/store"/*; extra=(--store.path="$WORK/store"); }
    fi
    start_target "$t" "${extra[@]}"
    pid=$SERVER_PID
    sleep 2
    idle_kb=$(status_kb "$pid" VmRSS)
    log "$t store=$store ${gc}: RSS after start $(mb "$idle_kb") MB; filling $FILL_TORRENTS x $PEERS_PER_TORRENT"
    rc=0
    out=$("$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=fill \
      url="http://127.0.0.1:$SERVER_PORT/announce" torrents="$FILL_TORRENTS" peers="$PEERS_PER_TORRENT" \
      connections="$FILL_CONNECTIONS" 2>&1) || rc=$?
    fill=$(grep '^FILL' <<<"$out" || echo "FILL failed: $(tail -2 <<<"$out" | tr '\n' ' ')")
    ((rc == 0)) || { log "fill exited $rc (errors, non-200 answers or missing requests)"; fill="$fill exit=$rc"; }
    log "$fill"
    sleep 3
    rss=$(status_kb "$pid" VmRSS) hwm=$(status_kb "$pid" VmHWM)
    anon=$(status_kb "$pid" RssAnon) file=$(status_kb "$pid" RssFile) shmem=$(status_kb "$pid" RssShmem)
    first=$(scrape_check "http://127.0.0.1:$SERVER_PORT" 1)
    last=$(scrape_check "http://127.0.0.1:$SERVER_PORT" "$FILL_TORRENTS")
    disk=-; [[ $store == persist && $t == hayate ]] && disk=$(du -sm "$WORK/store" | cut -f1)
    stop_server "$pid"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$store" "$gc" "$(mb "$idle_kb")" "$(mb "$rss")" \
      "$(mb "$hwm")" "$(mb "$anon")" "$(mb "$file")" "$(mb "$shmem")" "$disk" "$fill" "$first" "$last" >>"$RESULTS"
  done
done

echo
echo "# Tracker memory after $FILL_TORRENTS torrents x $PEERS_PER_TORRENT peers (MB = MiB, from /proc/PID/status)"
machine_info | grep -v 'java opts'
echo "# heap:        $HEAP (hayate); GC per row"
printf '%-12s %-8s %-20s %8s %9s %8s %8s %8s %8s %8s %9s\n' target store jvm idle_RSS filled_RSS VmHWM anon file shmem disk_MB fill_rps
while IFS=$'\t' read -r t store gc idle rss hwm anon file shmem disk fill first last; do
  rps=$(sed -nE 's/.* rps=([0-9]+).*/\1/p' <<<"$fill")
  printf '%-12s %-8s %-20s %8s %9s %8s %8s %8s %8s %8s %9s\n' "$t" "$store" "$gc" "$idle" "$rss" "$hwm" "$anon" "$file" "$shmem" "$disk" "${rps:-failed}"
  echo "    fill: $fill"
  echo "    scrape torrent 1: $first"
  echo "    scrape torrent $FILL_TORRENTS: $last"
done <"$RESULTS"
