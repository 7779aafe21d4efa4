#!/bin/sh
# Local check of transfer.py against Debian's opentracker: http:// and udp://,
# both role directions. Usage: check-opentracker.sh [extra transfer.py args]
# Exit status: number of failed runs (0 = all passed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/hayate-e2e-ot.XXXXXX)
"$here/run-opentracker.sh" "$dir" > "$dir/opentracker.out" 2>&1 &
ot=$!
trap 'kill "$ot" 2>/dev/null; wait "$ot" 2>/dev/null' EXIT INT TERM
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
port=$(cat "$dir/port")
fails=0
for scheme in http udp; do
  for roles in "--seeder libtorrent --leecher aria2" "--seeder aria2 --leecher libtorrent"; do
    # shellcheck disable=SC2086
    /usr/bin/python3 "$here/transfer.py" --announce "$scheme://127.0.0.1:$port/announce" \
      --whitelist "$dir/whitelist.txt" --whitelist-hup-pid "$ot" $roles "$@" \
      > "$dir/run.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ]; then fails=$((fails + 1)); cat "$dir/run.out"; else tail -n 1 "$dir/run.out"; fi
  done
done
if [ $fails -eq 0 ]; then rm -rf "$dir"; else echo "opentracker dir kept: $dir"; fi
exit $fails
