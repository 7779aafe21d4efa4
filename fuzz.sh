#!/usr/bin/env bash
# Fuzzes each Jazzer @FuzzTest target for a bounded time (the maxDuration in its annotation: 60 s for the raw-input
# parsers, 30 s for the round trips and the WebTorrent message handling, 15 s for the bencode writer's round trips) and fails on the first finding. Without JAZZER_FUZZ, `mvn test` only replays the
# committed corpus; this script is what actually fuzzes.
#
#   ./fuzz.sh                                   # every target
#   ./fuzz.sh QueryScannerFuzzTest#scanAnnounce # some targets
#
# A finding fails the target's test; Jazzer writes the input as crash-<sha1> into
# src/test/resources/dev/hayate/protocol/<Class>Inputs/<method>/, where `mvn test` replays it from then on (commit it
# with the fix). New coverage is kept in .cifuzz-corpus/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(
    QueryScannerFuzzTest#scanAnnounce
    QueryScannerFuzzTest#scanScrape
    QueryScannerFuzzTest#announceRoundTrip
    QueryScannerFuzzTest#scrapeRoundTrip
    UdpCodecFuzzTest#parse
    UdpCodecFuzzTest#announceRoundTrip
    BencodeWriterFuzzTest#announceRoundTrip
    BencodeWriterFuzzTest#scrapeRoundTrip
    WebTorrentCodecFuzzTest#message
  )
fi

mvn -q -B test-compile
failed=()
for target in "${targets[@]}"; do
  echo "fuzz: $target"
  start=$(date +%s)
  # surefire:test alone: the classes are already compiled. Jazzer fuzzes one target per JVM.
  # libFuzzer's progress lines (#123 NEW/REDUCE/pulse ...) are dropped; everything else, findings included, shows.
  if JAZZER_FUZZ=1 mvn -q -B surefire:test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false 2>&1 \
      | sed -u '/^#[0-9]/d'; then
    echo
    echo "fuzz: $target: no finding in $(( $(date +%s) - start )) s"
  else
    echo
    echo "fuzz: $target: FINDING (or failure), see target/surefire-reports/" >&2
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
