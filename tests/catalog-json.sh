#!/bin/sh
# The catalog's results, for checking that a change leaves them byte-identical:
#   tests/catalog-json.sh STALESIM OUTDIR [FIELD,...]
# runs `STALESIM run SCENARIO --format json --jobs 1` for every
# experiments/scenarios/*.ini and writes OUTDIR/NAME.json with the timing
# fields (wall_s, events_per_s) removed.  Compare two builds with
#   diff -r OUTDIR_BEFORE OUTDIR_AFTER     (no output: identical)
# A change that only adds metrics is compared by leaving them out of the new
# build's files: FIELD,... names them (e.g. cache_gets_per_s,bus_lost_per_s);
# each `"FIELD": {...}` member is removed wherever it occurs (run's metrics
# and every family's), so diff -r then shows nothing when every existing
# value is byte-identical.
# One scenario at a time, one job each (the machine is shared).
set -eu
bin=$1 out=$2 drop=${3:-}
mkdir -p "$out"
fields=$(printf '%s' "$drop" | tr ',' '|')
for f in experiments/scenarios/*.ini; do
    name=$(basename "$f" .ini)
    "$bin" run "$f" --format json --jobs 1 |
        sed -E 's/, "wall_s": [0-9.]+, "events_per_s": [0-9]+//' |
        if [ -n "$fields" ]; then
            perl -0pe "s/,\\s*\"($fields)\": \\{[^}]*\\}//g"
        else
            cat
        fi >"$out/$name.json"
    echo "$name: $(wc -c <"$out/$name.json") bytes"
done
