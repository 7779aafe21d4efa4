#!/bin/sh
# Local-check helper: run Debian's opentracker on 127.0.0.1 (HTTP and UDP on
# one port) in the foreground, so transfer.py can be tried without Hayate.
#
#   run-opentracker.sh DIR [PORT]
#
# DIR becomes tracker.rootdir; DIR/whitelist.txt is the whitelist (Debian's
# build serves only whitelisted info_hashes). Add a hash and reload with
#   echo HEX >> DIR/whitelist.txt; kill -HUP $(cat DIR/opentracker.pid)
# transfer.py does this for you with --whitelist DIR/whitelist.txt
# --whitelist-hup-pid $(cat DIR/opentracker.pid).
# PORT defaults to a free one; it is written to DIR/port.
set -eu
dir=${1:?usage: run-opentracker.sh DIR [PORT]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
port=${2:-$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
p = s.getsockname()[1]; t.bind(("127.0.0.1", p)); print(p)')}
: > "$dir/whitelist.txt"
# opentracker refuses to keep root privileges: it chroots into DIR and drops
# to an unprivileged user, who must be able to read the whitelist.
user=nobody
getent passwd _opentracker >/dev/null 2>&1 && user=_opentracker
chmod 755 "$dir"; chmod 644 "$dir/whitelist.txt"
cat > "$dir/opentracker.conf" <<CONF
listen.tcp 127.0.0.1:$port
listen.udp 127.0.0.1:$port
tracker.rootdir $dir
tracker.user $user
access.whitelist whitelist.txt
CONF
echo "$port" > "$dir/port"
echo $$ > "$dir/opentracker.pid"
echo "opentracker: http://127.0.0.1:$port/announce udp://127.0.0.1:$port/announce pid $$" >&2
cd "$dir"
exec /usr/bin/opentracker -f "$dir/opentracker.conf"
