#!/bin/sh
# Assembles the seed inputs of every fuzz harness into OUT/HARNESS/, for
# afl-fuzz (make fuzz) and for the fuzz-replay suite (make test):
#   the scenario catalog and the validation scenarios, the fixtures, the
#   hand-written seeds and every regression input of tests/fuzz/, and a
#   small sweep database (one without and one with key families) and
#   RUN.json files made by STALESIM.
# A file named *.exitN is expected to give exit code N; any other, 0.
# Usage: tests/fuzz/seeds.sh OUT STALESIM   (from the repository root)
set -eu
out=$1
bin=$2
for h in scenario vary twitter csv db runjson; do
    rm -rf "$out/$h"
    mkdir -p "$out/$h"
    for d in tests/fuzz/seeds/$h tests/fuzz/regressions/$h; do
        [ -d "$d" ] || continue
        for f in "$d"/*; do [ -f "$f" ] && cp "$f" "$out/$h/"; done
    done
done
cp experiments/scenarios/*.ini "$out/scenario/"
for f in experiments/validation/*.ini; do
    cp "$f" "$out/scenario/validation-${f##*/}"
done
# The first 40 lines of each trace: afl-fuzz works best on small inputs.
for f in tests/fixtures/*.trace; do head -n 40 "$f" >"$out/twitter/${f##*/}"; done
for f in tests/fixtures/*.csv; do head -n 40 "$f" >"$out/csv/${f##*/}"; done
cp tests/fixtures/*.json "$out/runjson/"
quiet="--set run.duration=5s --set workload.keys=50 --set run.reps=2"
"$bin" sweep experiments/scenarios/ttl-only.ini $quiet \
    --vary cache.ttl=1s,10s --db "$out/db/sweep.db" --jobs 1 >/dev/null
"$bin" sweep tests/fuzz/vary-base.ini --set run.duration=5s \
    --set run.reps=2 --vary cache.ttl=30s --db "$out/db/families.db" \
    --jobs 1 >/dev/null
"$bin" run tests/fuzz/vary-base.ini --set run.duration=5s --format json \
    >"$out/runjson/families.json"
# Smaller pages, no WAL: the same content in fewer bytes to mutate.
for f in "$out"/db/*.db; do
    sqlite3 "$f" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" \
        >/dev/null
done
rm -f "$out"/db/*.db-wal "$out"/db/*.db-shm
