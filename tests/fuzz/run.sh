#!/bin/sh
# Runs a fuzz engine on each named harness for SECONDS, one after the other,
# under nice -n $FUZZ_NICE (default 19), and prints executions, crashes and
# hangs per harness.  ENGINE is libfuzzer (BUILD/fuzz-lf, in-process) or afl
# (BUILD/fuzz-afl, afl-fuzz in persistent mode).  The corpus of each harness
# stays in BUILD/out/NAME (a second run goes on from it); what it found:
#   libfuzzer  BUILD/out/NAME/crashes/{crash,oom,timeout,leak}-*, the log
#              BUILD/out/NAME.log (final counts: its stat:: lines)
#   afl        BUILD/out/NAME/default/{crashes,hangs}/, the counts in
#              BUILD/out/NAME/default/fuzzer_stats
# A time-out is an input that takes over 60 s of wall clock.  Generous on
# purpose: the limit is wall clock, and under nice 19 a fuzzer shares its
# session's CPU with whatever else runs there, so an input of 0.5 s of CPU
# can take 12 s (measured); replay a time-out before calling it a hang.
# FUZZ_RUNS=N (optional) also stops a harness after about N executions
# (libFuzzer -runs, afl-fuzz -E), whichever comes first.
# Usage: tests/fuzz/run.sh ENGINE BUILD SECONDS NAME...   (from the repo root)
# Exit 1 when any harness found a crash or a hang.
set -eu
engine=$1
build=$2
secs=$3
shift 3
nice=${FUZZ_NICE:-19}
runs=${FUZZ_RUNS:-}
sh tests/fuzz/seeds.sh "$build/in" ./stalesim
# The harnesses write each input to a file: on tmpfs that costs microseconds,
# on a disk (ext4 here discards the blocks of every truncated file)
# milliseconds.
tmproot=$build/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmproot=/dev/shm/stalesim-fuzz-$$
# Large allocations in transparent huge pages (glibc 2.35+; ignored by older
# ones): a damaged database whose record claims a payload of gigabytes makes
# SQLite allocate and clear an overflow-page list of up to 67 MB on every
# read of it, fresh from mmap each time; in 4 KiB pages the page faults cost
# 300 ms an input on this VM, in 2 MiB pages 17 ms (docs/hardening.md).
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1"
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_AUTORESUME=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
bad=0
report=""
for h in "$@"; do
    tmp="$tmproot/$h"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$build/out"
    log="$build/out/$h.log"
    echo "fuzz: $h for ${secs}s with $engine (log: $log)"
    if [ "$engine" = afl ]; then
        AFL_TMPDIR="$tmp" TMPDIR="$tmp" nice -n "$nice" afl-fuzz -V "$secs" \
            -t 60000 ${runs:+-E "$runs"} -i "$build/in/$h" -o "$build/out/$h" \
            -- "$build/fuzz-afl" "$h" >"$log" 2>&1 ||
            { echo "fuzz: afl-fuzz failed on $h:"; tail -n 20 "$log"; bad=1; }
        stats="$build/out/$h/default/fuzzer_stats"
        [ -f "$stats" ] || { bad=1; continue; }
        get() { sed -n "s/^$1 *: *//p" "$stats"; }
        execs=$(get execs_done)
        rate=$(get execs_per_sec)
        crashes=$(get saved_crashes)
        hangs=$(get saved_hangs)
        corpus=$(get corpus_count)
    else
        found="$build/out/$h/crashes"
        mkdir -p "$build/out/$h/corpus" "$found"
        # -close_fd_mask=3: stalesim's own output (summarize's tables, error
        # lines) goes nowhere; libFuzzer's report still reaches the log.
        STALESIM_FUZZ=$h TMPDIR="$tmp" nice -n "$nice" "$build/fuzz-lf" \
            -max_total_time="$secs" ${runs:+-runs="$runs"} -timeout=60 \
            -print_final_stats=1 \
            -close_fd_mask=3 -artifact_prefix="$found/" \
            "$build/out/$h/corpus" "$build/in/$h" >"$log" 2>&1 || true
        get() { sed -n "s/^stat::$1: *//p" "$log"; }
        execs=$(get number_of_executed_units)
        rate=$(get average_exec_per_sec)
        [ -n "$execs" ] || { echo "fuzz: libFuzzer failed on $h:"; tail -n 20 "$log"; }
        crashes=$(find "$found" -type f \( -name 'crash-*' -o -name 'oom-*' \
            -o -name 'leak-*' \) | wc -l)
        hangs=$(find "$found" -type f -name 'timeout-*' | wc -l)
        corpus=$(find "$build/out/$h/corpus" -type f | wc -l)
    fi
    rm -rf "$tmp"
    rmdir "$tmproot" 2>/dev/null || true
    report="$report$(printf '%-9s %12s %10s %8s %7s %s' "$h" "${execs:-?}" \
        "${rate:-?}" "$crashes" "$hangs" "$corpus")
"
    [ "${execs:-}" ] && [ "${crashes:-1}" = 0 ] && [ "${hangs:-1}" = 0 ] || bad=1
done
printf '%-9s %12s %10s %8s %7s %s\n' harness executions "execs/s" crashes \
    hangs corpus
printf '%s' "$report"
[ "$bad" = 0 ] || echo "fuzz: crashes, hangs or a failed run: see $build/out/"
exit "$bad"
