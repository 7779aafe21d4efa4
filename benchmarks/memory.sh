#!/usr/bin/env bash
# Resident memory of a filled tracker: announces $PEERS_PER_TORRENT distinct peers to each of $FILL_TORRENTS
# torrents (default 600,000 x 3 = 1.8M peers) over keep-alive connections, as fast as the tracker answers, then reads
# VmRSS (and its anon/file/shmem parts, and VmHWM) from /proc/PID/status: the RSS `ps -o rss` shows a user.
# Hayate and Debian's opentracker get the same fill in the same run; the summary gives Hayate's RSS / opentracker's.
# Hayate is measured with persistence off (in-memory store) and on (--store.path=<temp dir>), for each JVM flag set.
#
#   benchmarks/memory.sh                                              # hayate (README command, -XX:MaxRAM=2g) + opentracker
#   JVM_OPTS="readme" STORES=memory benchmarks/memory.sh              # one configuration (+ opentracker)
#   JVM_OPTS="-Xms256m -Xmx256m -XX:+UseSerialGC" TARGETS=hayate benchmarks/memory.sh
#   NMT=1 JVM_OPTS=readme STORES=memory TARGETS=hayate benchmarks/memory.sh   # + the JVM's own native memory
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/memory.sh
#   JVM_OPTS="readme|readme MALLOC_ARENA_MAX=8 -Xmn32m" STORES=memory benchmarks/memory.sh   # env words, later flags
#   JAVA_HOME=$J25 HAYATE_LAUNCHER=/tmp/hayate-jdk25/bin/hayate JVM_OPTS=readme benchmarks/memory.sh  # another tree
#
# JVM_OPTS: '|'-separated flag sets, one Hayate run each. The word "readme" stands for the README's quick-start run
# command, the release launcher target/hayate/bin/hayate (its own jlink runtime with the flags of conf/jvm.options,
# so what is measured is what is shipped); other flags in the same set are added through HAYATE_JAVA_OPTS. A set
# without "readme" runs `java FLAGS -jar target/hayate.jar` on the JDK of JAVA_HOME or PATH. Words of the form
# NAME=VALUE (upper case) go into the tracker's environment instead (e.g. MALLOC_ARENA_MAX=8). HAYATE_LAUNCHER points
# "readme" at another release tree (e.g. one built by JDK 25; set JAVA_HOME to that JDK for jcmd). Default:
# "readme|-XX:MaxRAM=2g": the README's command, and plain `java -jar` on a 2 GB machine (heap sized by the JVM).
# NMT=1 adds -XX:NativeMemoryTracking=summary and prints `jcmd PID VM.native_memory summary` per category at idle
# and filled (NMT's own bookkeeping adds a few MiB of RSS: compare RSS from runs without it).
#
# Every run must hold: the filler exits 0 (no transport error, non-200 or `failure reason` answer, no request
# missing), and scrapes of the first, a middle and the last torrent count exactly the filled peers
# (complete=1, incomplete=PEERS_PER_TORRENT-1). Anything else fails the script.
#
# Builds nothing; needs target/hayate.jar (and target/hayate/ for "readme") and benchmarks/target/benchmarks.jar (the filler is
# dev.hayate.bench.LoadClient mode=fill). Peers all come from 127.0.0.1; they are distinct by peer_id.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TARGETS=${TARGETS:-hayate opentracker}
FILL_TORRENTS=${FILL_TORRENTS:-600000}
PEERS_PER_TORRENT=${PEERS_PER_TORRENT:-3}
FILL_CONNECTIONS=${FILL_CONNECTIONS:-64}
JVM_OPTS=${JVM_OPTS:-readme|-XX:MaxRAM=2g}
STORES=${STORES:-memory persist}
ROUNDS=${ROUNDS:-1}
NMT=${NMT:-0}
CLIENT_JAVA=${CLIENT_JAVA:-$(command -v java)}
TORRENTS=$FILL_TORRENTS # opentracker's whitelist must hold every filled hash

[[ -f $BENCH_JAR ]] || die "missing $BENCH_JAR (mvn -q -f benchmarks/pom.xml package); it holds the filler"
[[ $FILL_TORRENTS =~ ^[1-9][0-9]*$ && $FILL_TORRENTS -le 5000000 ]] || die "FILL_TORRENTS must be 1..5000000"
[[ $PEERS_PER_TORRENT =~ ^[1-9][0-9]*$ && $PEERS_PER_TORRENT -le 100 ]] || die "PEERS_PER_TORRENT must be 1..100"
[[ $ROUNDS =~ ^[1-9]$ ]] || die "ROUNDS must be 1..9"
[[ -z ${HEAP:-}${GC_OPTS:-} ]] || die "HEAP and GC_OPTS are gone: give whole flag sets in JVM_OPTS (see the header)"
read -r -a targets <<<"$TARGETS"
for t in "${targets[@]}"; do
  [[ $t == ceiling ]] && die "the ceiling server stores nothing; memory.sh is for hayate and opentracker"
  why=$(target_available "$t") || die "$why"
done
JCMD=$(dirname "$JAVA")/jcmd
[[ $NMT == 0 || -x $JCMD ]] || die "NMT=1 needs $JCMD (a JDK)"

# "readme" runs the README's quick-start command: the line 'mvn ... && target/hayate/bin/hayate'.
if [[ $JVM_OPTS == *readme* ]]; then
  grep -qE '^mvn .*&& target/hayate/bin/hayate' "$TOP_DIR/README.md" ||
    die "README.md's quick-start line is no longer 'mvn ... && target/hayate/bin/hayate': update memory.sh's \"readme\""
  [[ -x $HAYATE_LAUNCHER ]] || die "missing $HAYATE_LAUNCHER (mvn -q package -DskipTests)"
fi
unset HAYATE_JAVA_OPTS

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="${1:-0}" 'BEGIN {printf "%.0f", kb / 1024}'; }

# scrape_check NAME URL INDEX: the scrape answer for torrent INDEX must count exactly the filled peers
scrape_check() {
  local name=$1 hex enc body want_c=1 want_i=$((PEERS_PER_TORRENT - 1))
  hex=$(python3 "$BENCH_DIR/gen-hashes.py" "$3" | tail -1)
  enc=$(sed 's/../%&/g' <<<"$hex")
  body=$(curl -s --max-time 5 "$2/scrape?info_hash=$enc" | tr -c '[:print:]' '.') || body="(no answer)"
  if [[ $body != *"8:completei${want_c}e"* || $body != *"10:incompletei${want_i}e"* ]]; then
    die "$name: scrape of torrent $3 does not count the filled peers (want complete=$want_c incomplete=$want_i): ${body:0:200}"
  fi
  echo "torrent $3 ok (complete=$want_c incomplete=$want_i)"
}

# nmt NAME PID: VM.native_memory summary into $WORK/nmt-NAME
# (plus the heap's and the code cache's address ranges and /proc/PID/smaps, to tell how much of each is resident)
nmt() {
  "$JCMD" "$2" VM.native_memory summary >"$WORK/nmt-$1" 2>&1 || log "jcmd VM.native_memory failed: $(tail -1 "$WORK/nmt-$1")"
  "$JCMD" "$2" GC.heap_info >"$WORK/heap-$1" 2>&1 || true
  "$JCMD" "$2" Compiler.codecache >"$WORK/code-$1" 2>&1 || true
  cat "/proc/$2/smaps" >"$WORK/smaps-$1" 2>/dev/null || true
}

RESULTS="$WORK/memory.tsv"
: >"$RESULTS"
IFS='|' read -r -a jvms <<<"$JVM_OPTS"
all=()
for t in "${targets[@]}"; do
  if [[ $t == hayate ]]; then for j in "${jvms[@]}"; do for s in $STORES; do all+=("$t|$s|$j"); done; done
  else all+=("$t|memory|-"); fi
done
run=0
for ((r = 1; r <= ROUNDS; r++)); do
  # rotate the order from round to round, so that no configuration always runs first
  k=$(( (r - 1) % ${#all[@]} ))
  for cfg in "${all[@]:k}" "${all[@]:0:k}"; do
    t=${cfg%%|*} cfg=${cfg#*|}
    store=${cfg%%|*} jvm=${cfg#*|}
    run=$((run + 1))
    extra=()
    if [[ $t == hayate ]]; then
      HAYATE_VIA_LAUNCHER=0
      [[ $jvm == *readme* ]] && HAYATE_VIA_LAUNCHER=1
      HAYATE_JAVA_OPTS= HAYATE_ENV=
      for w in ${jvm//readme/}; do # the words besides "readme": NAME=VALUE into the environment, the rest flags
        if [[ $w =~ ^[A-Z_][A-Z0-9_]*= ]]; then HAYATE_ENV+="${HAYATE_ENV:+ }$w"; else HAYATE_JAVA_OPTS+="${HAYATE_JAVA_OPTS:+ }$w"; fi
      done
      [[ $NMT == 1 ]] && HAYATE_JAVA_OPTS="$HAYATE_JAVA_OPTS -XX:NativeMemoryTracking=summary"
      [[ $store == persist ]] && { mkdir -p "$WORK/store"; rm -rf "$WORK/store"/*; extra=(--store.path="$WORK/store"); }
    fi
    start_target "$t" "${extra[@]}"
    pid=$SERVER_PID
    sleep 3
    idle_kb=$(status_kb "$pid" VmRSS)
    [[ $NMT == 1 && $t == hayate ]] && nmt "$run-idle" "$pid"
    label=${HAYATE_JAVA_OPTS:--}
    [[ $t == hayate && $HAYATE_VIA_LAUNCHER == 1 ]] && label="bin/hayate (conf/jvm.options)${HAYATE_JAVA_OPTS:+ + $HAYATE_JAVA_OPTS}"
    [[ $t == hayate && -n $HAYATE_ENV ]] && label="$HAYATE_ENV $label"
    log "$t store=$store jvm=[$label]: RSS after start $(mb "$idle_kb") MiB; filling $FILL_TORRENTS x $PEERS_PER_TORRENT"
    rc=0
    out=$("$CLIENT_JAVA" -Xms256m -Xmx256m -cp "$BENCH_JAR" dev.hayate.bench.LoadClient mode=fill \
      url="http://127.0.0.1:$SERVER_PORT/announce" torrents="$FILL_TORRENTS" peers="$PEERS_PER_TORRENT" \
      connections="$FILL_CONNECTIONS" 2>&1) || rc=$?
    fill=$(grep '^FILL torrents' <<<"$out" || true)
    ((rc == 0)) || die "$t: the fill failed (exit $rc: errors, non-200 or failure answers, or missing requests): $( (grep '^FILL' <<<"$out" || tail -3 <<<"$out") | tr '\n' ' ')"
    log "$fill"
    sleep 3
    rss=$(status_kb "$pid" VmRSS) hwm=$(status_kb "$pid" VmHWM)
    anon=$(status_kb "$pid" RssAnon) file=$(status_kb "$pid" RssFile) shmem=$(status_kb "$pid" RssShmem)
    [[ $NMT == 1 && $t == hayate ]] && nmt "$run-filled" "$pid"
    url="http://127.0.0.1:$SERVER_PORT"
    # one assignment each: a failed check (die in the command substitution) then stops the script under set -e
    c1=$(scrape_check "$t" "$url" 1)
    c2=$(scrape_check "$t" "$url" $(((FILL_TORRENTS + 1) / 2)))
    c3=$(scrape_check "$t" "$url" "$FILL_TORRENTS")
    checks="$c1; $c2; $c3"
    disk=-; [[ $store == persist && $t == hayate ]] && disk=$(du -sm "$WORK/store" | cut -f1)
    stop_server "$pid"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$r" "$t" "$store" "$label" \
      "$(mb "$idle_kb")" "$(mb "$rss")" "$(mb "$hwm")" "$(mb "$anon")" "$(mb "$file")" "$(mb "$shmem")" "$disk" \
      "$fill" "$checks" >>"$RESULTS"
    unset HAYATE_JAVA_OPTS
    HAYATE_VIA_LAUNCHER=0 HAYATE_ENV=
  done
done

echo
echo "# Tracker memory after $FILL_TORRENTS torrents x $PEERS_PER_TORRENT peers (MiB, /proc/PID/status; filled = VmRSS)"
HAYATE_JAVA_OPTS="(per row)" machine_info | grep -v 'java opts'
python3 - "$RESULTS" "$WORK" "$NMT" <<'EOF'
import os, re, sys
path, work, nmt = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
import statistics
rows = [l.rstrip("\n").split("\t") for l in open(path)]
ot = {r[1]: int(r[6]) for r in rows if r[2] == "opentracker"}  # round -> opentracker's filled RSS
rows_by_round = rows
rows = [[r[0]] + r[2:] + [r[1]] for r in rows]
print(f"{'target':<12} {'store':<8} {'idle':>5} {'filled':>6} {'VmHWM':>6} {'anon':>5} {'file':>5} {'shmem':>5} "
      f"{'disk':>5} {'fill/s':>7} {'/ot':>5}  jvm")
for run, t, store, jvm, idle, rss, hwm, anon, file, shmem, disk, fill, checks, rnd in rows:
    rps = re.search(r" rps=(\d+)", fill)
    ratio = f"{int(rss) / ot[rnd]:.2f}" if rnd in ot and t == "hayate" else "-"
    print(f"{t:<12} {store:<8} {idle:>5} {rss:>6} {hwm:>6} {anon:>5} {file:>5} {shmem:>5} {disk:>5} "
          f"{rps.group(1) if rps else '?':>7} {ratio:>5}  {jvm}")
    print(f"    scrape checks: {checks}")
print("/ot: filled RSS over opentracker's filled RSS in the same round" if ot else "(no opentracker row: no ratio)")
groups = {}
for run, t, store, jvm, idle, rss, *rest in rows:
    groups.setdefault((t, store, jvm), []).append((int(idle), int(rss), rest[-1]))
if any(len(v) > 1 for v in groups.values()):
    print(f"\nmedians over rounds: {'target':<12} {'store':<8} {'idle':>5} {'filled':>6} {'/ot':>5}  filled per round; jvm")
    for (t, store, jvm), v in groups.items():
        ratios = [rss / ot[rnd] for _, rss, rnd in v if rnd in ot and t == "hayate"]
        print(f"{'':<20} {t:<12} {store:<8} {statistics.median(i for i, _, _ in v):>5.0f} "
              f"{statistics.median(x for _, x, _ in v):>6.0f} {(f'{statistics.median(ratios):.2f}' if ratios else '-'):>5}  "
              + " ".join(str(x) for _, x, _ in v) + f"; {jvm}")
if nmt:
    # "-   Java Heap (reserved=262144KB, committed=262144KB)" (JDK 17 and 25), thread and class counts below it
    cat = re.compile(r"^-\s+(.+?) \(reserved=(\d+)KB, committed=(\d+)KB\)")
    def parse(f):
        out, cur, extra = {}, None, {}
        if not os.path.exists(f):
            return out, extra
        for line in open(f):
            m = cat.match(line)
            if m:
                cur = m.group(1).strip()
                out[cur] = int(m.group(3))
                continue
            m = re.match(r"^Total: reserved=(\d+)KB, committed=(\d+)KB", line.strip())
            if m:
                out["Total"] = int(m.group(2))
            m = re.search(r"\((?:thread #|threads #)(\d+)\)", line)
            if m:
                extra["threads"] = int(m.group(1))
            m = re.search(r"\(classes #(\d+)\)", line)
            if m:
                extra["classes"] = int(m.group(1))
        return out, extra
    hexes = re.compile(r"0x[0-9a-f]+")
    def ranges(f, key):
        # GC.heap_info: each generation's (or G1's) line with 'total' spans [start, ..., end); codecache: 'bounds'
        out = []
        if os.path.exists(f):
            for line in open(f):
                if key in line:
                    h = [int(x, 16) for x in hexes.findall(line)]
                    if len(h) >= 2:
                        out.append((h[0], h[-1]))
        return out
    def resident_kb(smaps, rs):
        total, lo = 0, None
        if not os.path.exists(smaps):
            return None
        for line in open(smaps):
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) ", line)
            if m:
                lo = int(m.group(1), 16)
                continue
            if line.startswith("Rss:") and lo is not None and any(a <= lo < b for a, b in rs):
                total += int(line.split()[1])
        return total
    for run, t, store, jvm, *_ in rows:
        if t != "hayate":
            continue
        idle, ei = parse(f"{work}/nmt-{run}-idle")
        filled, ef = parse(f"{work}/nmt-{run}-filled")
        for phase, d in (("idle", idle), ("filled", filled)):
            h = resident_kb(f"{work}/smaps-{run}-{phase}", ranges(f"{work}/heap-{run}-{phase}", "total"))
            c = resident_kb(f"{work}/smaps-{run}-{phase}", ranges(f"{work}/code-{run}-{phase}", "bounds"))
            if h is not None:
                d["Java Heap, resident"] = h
            if c is not None:
                d["Code cache, resident"] = c
        print(f"\n# NMT committed MiB, hayate store={store} jvm=[{jvm}] "
              f"(threads {ei.get('threads', '?')} -> {ef.get('threads', '?')}, classes {ei.get('classes', '?')} -> {ef.get('classes', '?')})")
        print(f"{'category':<28} {'idle':>8} {'filled':>8}   (committed; '..., resident' rows: RSS from smaps)")
        hf = f"{work}/heap-{run}-filled"
        if os.path.exists(hf):
            used = [re.sub(r" \[.*", "", l.strip()) for l in open(hf) if "total" in l or "Metaspace" in l]
            print("heap after the fill: " + "; ".join(used))
        for k in list(dict.fromkeys(list(idle) + list(filled))):
            a, b = idle.get(k, 0) / 1024, filled.get(k, 0) / 1024
            if max(a, b) >= 0.05:
                print(f"{k:<28} {a:>8.1f} {b:>8.1f}")
EOF
