#!/bin/sh
# The catalog's results, for checking that a change leaves them byte-identical:
#   tests/catalog-json.sh STALESIM OUTDIR
# runs `STALESIM run SCENARIO --format json --jobs 1` for every
# experiments/scenarios/*.ini and writes OUTDIR/NAME.json with the timing
# fields (wall_s, events_per_s) removed.  Compare two builds with
#   diff -r OUTDIR_BEFORE OUTDIR_AFTER     (no output: identical)
# One scenario at a time, one job each (the machine is shared).
set -eu
bin=$1 out=$2
mkdir -p "$out"
for f in experiments/scenarios/*.ini; do
    name=$(basename "$f" .ini)
    "$bin" run "$f" --format json --jobs 1 |
        sed -E 's/, "wall_s": [0-9.]+, "events_per_s": [0-9]+//' \
            >"$out/$name.json"
    echo "$name: $(wc -c <"$out/$name.json") bytes"
done
