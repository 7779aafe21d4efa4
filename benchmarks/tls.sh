#!/usr/bin/env bash
# TLS handshakes per second with a new connection per request: Hayate's own HTTPS listener against nginx terminating
# TLS in front of opentracker, the same certificate and key for both, measured in the same session, alternating.
#
#   flock /tmp/hayate-bench.lock benchmarks/tls.sh                  # defaults below (~8 min)
#   CASES="ec-full" ROUNDS=1 DURATION=5 WARMUP=5 benchmarks/tls.sh  # quick look
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/tls.sh   # the JDK for Hayate
#
# It builds nothing: it needs target/hayate.jar (mvn -q package -DskipTests), wrk, opentracker, nginx (Debian's
# nginx-light), openssl, curl and python3 on PATH.
#
# Load: wrk -t2 -c$CONNS (64) with tracker.lua's announce mix and CLOSE=1 ("Connection: close"), as load.sh's close64:
# every request opens a new TCP connection and a new TLS handshake; req/s = handshakes/s.
# Targets (127.0.0.1 only):
#   hayate   target/hayate.jar, built-in defaults (io_threads = cores) plus https.host=127.0.0.1:$HAYATE_TLS_PORT (16975)
#   nginx    nginx (worker_processes = cores) on 127.0.0.1:$NGINX_TLS_PORT (16976), proxy_pass to opentracker on
#            127.0.0.1:$OT_PORT (16971; it closes every connection, so nginx opens one upstream per request too)
# Cases (CASES, default "ec-full rsa-full ec-resumed"):
#   KEY-full     KEY = ec (ECDSA P-256: certbot's default key since 2.0) or rsa (RSA 2048). Session resumption off on
#                both servers, so every connection is a full handshake (wrk's OpenSSL client would otherwise resume:
#                it keeps its session across reconnects). nginx: ssl_session_cache off + ssl_session_tickets off.
#                JDK: -Djdk.tls.server.enableSessionTicketExtension=false -Djavax.net.ssl.sessionCacheSize=1 (the
#                JDK has no "off"; a one-entry cache makes a resumption of one of 64 concurrent clients a rare hit).
#   KEY-resumed  each server's defaults: resumption allowed (what a client that keeps its session gets).
# Certificates: a fresh CA and leaf per key type (openssl), the leaf's chain = leaf + CA, the key as PKCS#8 (as
# certbot writes it). Protocol and cipher are what wrk (OpenSSL 3, TLS 1.2 here) and each server agree on; the
# summary prints them from a probe handshake (openssl s_client) per target.
# Each run: start the target fresh, probe one announce over https (must be a bencoded dict with an interval), warm
# up $WARMUP s, measure $DURATION s, stop it by PID. Hayate's hayate_failures_total must not move during the measured
# run. The target order alternates between rounds. Summary: medians over rounds per case and target, and the median
# of the per-round ratios hayate/nginx.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-15}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
CASES=${CASES:-ec-full rsa-full ec-resumed}
HAYATE_TLS_PORT=${HAYATE_TLS_PORT:-16975}
NGINX_TLS_PORT=${NGINX_TLS_PORT:-16976}
KEEP_RAW=${KEEP_RAW:-}

for tool in wrk opentracker nginx openssl curl python3; do
  command -v "$tool" >/dev/null || die "$tool not installed"
done
[[ -f $HAYATE_JAR ]] || die "missing $HAYATE_JAR: build it at the top with 'mvn -q package -DskipTests'"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $DURATION =~ ^[1-9][0-9]*$ && $DURATION -le 300 ]] || die "DURATION must be 1..300 seconds"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 300 ]] || die "WARMUP must be 0..300 seconds"
read -r -a cases <<<"$CASES"
for c in "${cases[@]}"; do [[ $c =~ ^(ec|rsa)-(full|resumed)$ ]] || die "unknown case $c (ec-full rsa-full ec-resumed rsa-resumed)"; done

# One CA and leaf per key type, made once per script run.
make_certs() { # ec|rsa -> $WORK/certs-KEY/{fullchain.pem,privkey.pem}
  local key=$1 d="$WORK/certs-$1"
  [[ -f $d/fullchain.pem ]] && return 0
  mkdir -p "$d"
  local alg=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
  [[ $key == rsa ]] && alg=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
  (
    cd "$d"
    openssl genpkey "${alg[@]}" -out ca.key 2>/dev/null
    openssl req -x509 -key ca.key -out ca.pem -subj "/CN=Hayate Bench CA" -days 2 \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
    openssl genpkey "${alg[@]}" -out privkey.pem 2>/dev/null
    openssl req -new -key privkey.pem -subj /CN=localhost -out leaf.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >leaf.ext
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 2 -extfile leaf.ext \
      -out leaf.pem 2>/dev/null
    cat leaf.pem ca.pem >fullchain.pem
  ) || die "openssl could not make the $key certificates"
  chmod -R a+rX "$d"
}

start_nginx() { # key mode
  local key=$1 mode=$2 dir="$WORK/nginx"
  port_free "$NGINX_TLS_PORT" || die "127.0.0.1:$NGINX_TLS_PORT (nginx) is in use; set NGINX_TLS_PORT"
  rm -rf "$dir"; mkdir -p "$dir"
  local resumption="ssl_session_cache off; ssl_session_tickets off;"
  [[ $mode == resumed ]] && resumption="# nginx defaults: tickets on, no shared cache"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
worker_processes $(nproc);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  upstream opentracker { server 127.0.0.1:$OT_PORT; }
  server {
    listen 127.0.0.1:$NGINX_TLS_PORT ssl;
    ssl_certificate $WORK/certs-$key/fullchain.pem;
    ssl_certificate_key $WORK/certs-$key/privkey.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    $resumption
    location / {
      proxy_pass http://opentracker;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
EOF
  spawn "$dir" "$dir/server.log" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
  wait_listening "$SERVER_PID" "$NGINX_TLS_PORT" "$dir/server.log"
}

start_hayate_tls() { # key mode
  local key=$1 mode=$2 saved=$HAYATE_JAVA_OPTS
  port_free "$HAYATE_TLS_PORT" || die "127.0.0.1:$HAYATE_TLS_PORT (hayate https) is in use; set HAYATE_TLS_PORT"
  [[ $mode == full ]] &&
    HAYATE_JAVA_OPTS="$HAYATE_JAVA_OPTS -Djdk.tls.server.enableSessionTicketExtension=false -Djavax.net.ssl.sessionCacheSize=1"
  start_target hayate --https.host=127.0.0.1 --https.port="$HAYATE_TLS_PORT" \
    --tls.cert_file="$WORK/certs-$key/fullchain.pem" --tls.key_file="$WORK/certs-$key/privkey.pem"
  HAYATE_JAVA_OPTS=$saved
  wait_listening "$SERVER_PID" "$HAYATE_TLS_PORT" "$WORK/hayate/server.log"
}

https_probe() { # name url
  local name=$1 url=$2 hex enc body
  hex=$(python3 "$BENCH_DIR/gen-hashes.py" 1)
  enc=$(sed 's/../%&/g' <<<"$hex")
  body=$(curl -sk --max-time 5 "$url?info_hash=$enc&peer_id=-PROBE0-$(printf '%012d' $$)&port=6881&uploaded=0&downloaded=0&left=1000&event=started&numwant=0&compact=1" |
    tr -c '[:print:]' '.') || die "$name: no answer to a probe announce at $url"
  [[ $body == d*e && $body == *8:interval* && $body != *"failure reason"* ]] ||
    die "$name refused a real announce over https: ${body:0:200}"
}

handshake_info() { # port -> "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384" as wrk's OpenSSL negotiates it
  echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_2 2>/dev/null |
    sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)$/\1 \2/p' | head -1
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
INFO="$WORK/info.tsv"
: >"$INFO"
total=$(( ${#cases[@]} * ROUNDS * 2 ))
log "$total runs of ~$((WARMUP + DURATION + 8)) s each: about $(( total * (WARMUP + DURATION + 8) / 60 )) min"
run=0
for c in "${cases[@]}"; do
  key=${c%-*}; mode=${c#*-}
  make_certs "$key"
  for ((r = 1; r <= ROUNDS; r++)); do
    order=(hayate nginx); ((r % 2 == 0)) && order=(nginx hayate)
    for t in "${order[@]}"; do
      run=$((run + 1))
      pids=()
      if [[ $t == hayate ]]; then
        start_hayate_tls "$key" "$mode"; pids=("$SERVER_PID"); port=$HAYATE_TLS_PORT
      else
        start_target opentracker; pids=("$SERVER_PID")
        start_nginx "$key" "$mode"; pids+=("$SERVER_PID"); port=$NGINX_TLS_PORT
      fi
      url="https://127.0.0.1:$port/announce"
      https_probe "$t" "$url"
      ((r == 1)) && printf '%s\t%s\t%s\n' "$c" "$t" "$(handshake_info "$port")" >>"$INFO"
      raw="$WORK/raw-$c-$t-$r"
      if ((WARMUP > 0)); then
        CLOSE=1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$BENCH_DIR/announce.lua" "$url" >"$raw.warmup" 2>&1 ||
          die "wrk warm-up failed for $t/$c: $(tail -3 "$raw.warmup")"
      fi
      [[ $t == hayate ]] && failures_before=$(hayate_failures)
      CLOSE=1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$BENCH_DIR/announce.lua" "$url" >"$raw" 2>&1 ||
        die "wrk failed for $t/$c: $(tail -3 "$raw")"
      if [[ $t == hayate ]]; then
        failures_after=$(hayate_failures)
        ((failures_after == failures_before)) ||
          die "hayate answered $((failures_after - failures_before)) failure(s) in the measured $c run"
      fi
      for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_server "${pids[$i]}"; done
      line=$(grep '^RIG ' "$raw") || die "no RIG line in wrk output for $t/$c"
      printf '%s\t%s\t%s\t%s\n' "$c" "$t" "$r" "$line" >>"$RESULTS"
      log "[$run/$total] $c round $r $t: $(sed -E 's/.*rps=([0-9]+) p50_ms=([0-9.]+).* p99_ms=([0-9.]+).*err_connect=([0-9]+) err_read=([0-9]+) err_write=([0-9]+) err_timeout=([0-9]+) err_status=([0-9]+).*/\1 req\/s p50 \2 ms p99 \3 ms errors c\/r\/w\/t\/s=\4\/\5\/\6\/\7\/\8/' <<<"$line")"
    done
  done
done

[[ -n $KEEP_RAW ]] && { mkdir -p "$KEEP_RAW"; cp "$WORK"/raw-* "$RESULTS" "$INFO" "$KEEP_RAW"/; }

echo
echo "# TLS handshakes/s (new connection per request): wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s CLOSE=1 announce mix (warm-up ${WARMUP}s), $ROUNDS round(s), medians"
machine_info
echo "# nginx:       $(nginx -v 2>&1 | cut -d/ -f2) (worker_processes $(nproc)) -> opentracker; openssl $(openssl version | cut -d' ' -f2)"
python3 - "$RESULTS" "$INFO" "${cases[*]}" <<'EOF'
import sys, statistics
path, info_path, cases = sys.argv[1], sys.argv[2], sys.argv[3].split()
rows, info = {}, {}
for line in open(path):
    c, t, r, rig = line.rstrip("\n").split("\t")
    kv = dict(x.split("=", 1) for x in rig.split()[1:])
    rows.setdefault((c, t), {})[int(r)] = kv
for line in open(info_path):
    c, t, i = line.rstrip("\n").split("\t")
    info[(c, t)] = i
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| case | hayate req/s | nginx+opentracker req/s | hayate / nginx (median of per-round ratios) | hayate p50 / p99 ms | nginx p50 / p99 ms | negotiated (hayate ; nginx) |")
print("|---|---|---|---|---|---|---|")
for c in cases:
    h, n = rows.get((c, "hayate"), {}), rows.get((c, "nginx"), {})
    ratios = [float(h[r]["rps"]) / float(n[r]["rps"]) for r in h if r in n and float(n[r]["rps"]) > 0]
    f = lambda d, k: med([float(v[k]) for v in d.values()])
    print("| %s | %.0f | %.0f | %.2f | %.1f / %.1f | %.1f / %.1f | %s ; %s |" % (
        c, f(h, "rps"), f(n, "rps"), med(ratios), f(h, "p50_ms"), f(h, "p99_ms"), f(n, "p50_ms"), f(n, "p99_ms"),
        info.get((c, "hayate"), "?"), info.get((c, "nginx"), "?")))
errs = [(c, t, r, kv) for (c, t), d in rows.items() for r, kv in d.items()
        if int(kv.get("err_status", 0)) or int(kv.get("err_timeout", 0)) or int(kv.get("err_connect", 0))]
for c, t, r, kv in errs:
    print("# errors in %s %s round %d: connect=%s timeout=%s status=%s" % (c, t, r, kv["err_connect"], kv["err_timeout"], kv["err_status"]))
EOF
