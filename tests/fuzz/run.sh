#!/bin/sh
# Runs afl-fuzz on each named harness for SECONDS, one after the other, under
# nice, and prints executions, crashes and hangs per harness.  The corpus of
# each harness stays in BUILD/out/NAME (AFL_AUTORESUME: a second run goes on
# from it); its crashes and hangs are in BUILD/out/NAME/default/{crashes,hangs}.
# Usage: tests/fuzz/run.sh BUILD SECONDS NAME...   (from the repository root)
# Exit 1 when any harness found a crash or a hang.
set -eu
build=$1
secs=$2
shift 2
sh tests/fuzz/seeds.sh "$build/in" ./stalesim
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_AUTORESUME=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_SKIP_BIN_CHECK=0
# The harnesses write each input to a file: on tmpfs that costs microseconds,
# on a disk milliseconds (30 times slower on the scenario harness).
tmproot=$build/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmproot=/dev/shm/stalesim-fuzz-$$
bad=0
report=""
for h in "$@"; do
    tmp="$tmproot/$h"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$build/out"
    echo "fuzz: $h for ${secs}s (log: $build/out/$h.log)"
    AFL_TMPDIR="$tmp" TMPDIR="$tmp" nice -n 10 afl-fuzz -V "$secs" -t 1000+ -i "$build/in/$h" \
        -o "$build/out/$h" -- "$build/fuzz-afl" "$h" >"$build/out/$h.log" 2>&1 ||
        { echo "fuzz: afl-fuzz failed on $h:"; tail -n 20 "$build/out/$h.log"; bad=1; }
    rm -rf "$tmp"
    rmdir "$tmproot" 2>/dev/null || true
    stats="$build/out/$h/default/fuzzer_stats"
    [ -f "$stats" ] || { bad=1; continue; }
    get() { sed -n "s/^$1 *: *//p" "$stats"; }
    execs=$(get execs_done)
    crashes=$(get saved_crashes)
    hangs=$(get saved_hangs)
    report="$report$(printf '%-9s %12s %10s %8s %7s %s' "$h" "$execs" \
        "$(get execs_per_sec)" "$crashes" "$hangs" "$(get corpus_count)")
"
    [ "${crashes:-1}" = 0 ] && [ "${hangs:-1}" = 0 ] || bad=1
done
printf '%-9s %12s %10s %8s %7s %s\n' harness executions "execs/s" crashes \
    hangs corpus
printf '%s' "$report"
[ "$bad" = 0 ] || echo "fuzz: crashes or hangs: see $build/out/*/default/"
exit "$bad"
