#!/bin/sh
# Build the libFuzzer targets with clang and run each on a scratch copy of
# its seed corpus (fuzz/corpus-run/, git-ignored), so the committed corpus
# never grows.  Exits non-zero if any target crashed.
#
# Usage: fuzz/run.sh SECONDS
#        fuzz/run.sh --long [--runs N] [--max-time SECONDS] [TARGET...]
#
# SECONDS: each target runs that long (what tests/run.sh does).
# --long: each target (or each TARGET named, e.g. fastcgi) runs N
# executions (default 10000000), or until --max-time seconds if that comes
# first; one target at a time.  Not for CI: at a few thousand executions
# a second that is an hour or more per target.  Run it niced, e.g.
# `nice -n 19 fuzz/run.sh --long`.  Each target's last stats line (its
# executions, cov: and ft:) is printed at the end and kept in
# fuzz/corpus-run/<name>/log.
set -eu

usage() {
    sed -n '6,7p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

long=0 runs=10000000 max_time=0 seconds=0 only=""
if [ $# -ge 1 ] && [ "$1" = --long ]; then
    long=1
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
        --max-time) [ $# -ge 2 ] || usage; max_time=$2; shift 2 ;;
        -*) usage ;;
        *) only="$only $1"; shift ;;
        esac
    done
    [ "$runs" -gt 0 ] 2>/dev/null || usage
    [ "$max_time" -ge 0 ] 2>/dev/null || usage
elif [ $# -eq 1 ] && [ "$1" -gt 0 ] 2>/dev/null; then
    seconds=$1
else
    usage
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
scratch=$root/fuzz/corpus-run

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCORDGATE_FUZZ=ON \
    -DCORDGATE_TESTS=OFF >/dev/null

# Make UBSan findings fatal, so libFuzzer keeps the input that caused them.
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export UBSAN_OPTIONS

failed=0 summary=""
for src in "$root"/fuzz/fuzz_*.c; do
    target=$(basename "$src" .c)
    name=${target#fuzz_}
    if [ -n "$only" ]; then
        case " $only " in
        *" $name "* | *" $target "*) ;;
        *) continue ;;
        esac
    fi
    cmake --build "$build" --target "$target" -j "$(nproc)"
    rm -rf "${scratch:?}/${name:?}"
    mkdir -p "$scratch/$name/corpus" "$scratch/$name/crashes"
    if [ -d "$root/fuzz/corpus/$name" ]; then
        cp "$root/fuzz/corpus/$name"/* "$scratch/$name/corpus/"
    fi
    if [ "$long" -eq 1 ]; then
        if [ "$max_time" -gt 0 ]; then
            echo "== $target: $runs runs, at most ${max_time}s"
        else
            echo "== $target: $runs runs"
        fi
        set -- -runs="$runs" -max_total_time="$max_time"
    else
        echo "== $target: ${seconds}s"
        set -- -max_total_time="$seconds"
    fi
    log=$scratch/$name/log
    if ! "$build/fuzz/$target" "$@" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$scratch/$name/crashes/" \
        "$scratch/$name/corpus" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "== $target FAILED; inputs in $scratch/$name/crashes/" >&2
        failed=1
    fi
    tail -n 8 "$log"
    # The last "#N ... cov: C ft: F" line: executions and coverage.
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
    summary="$summary$target ${secs:-?}s $last
"
done
if [ "$long" -eq 1 ]; then
    echo "== summary (target, seconds, last stats line)"
    printf '%s' "$summary"
fi
exit $failed
