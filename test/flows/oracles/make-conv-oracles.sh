#!/bin/sh
# Regenerates the tshark conversation oracles (run from the repo root, with ../shared beside it).
# Each output's first line is the exact command. Captures: every MANIFEST row that tshark reads
# fully and that is not broken on purpose.
set -e
out=test/flows/oracles/conv
ver=$(tshark -v 2>/dev/null | head -1)
awk -F'\t' 'NR>1 && $8=="no" && $10=="ok" {print $1}' ../shared/pcaps/MANIFEST.tsv | while read -r p; do
  f="$out/$(echo "$p" | sed 's#/#__#g').txt"
  cmd="tshark -r ../shared/pcaps/$p -q -z conv,tcp -z conv,udp"
  { echo "# $cmd   ($ver)"; $cmd 2>/dev/null; } > "$f"
done
