#!/bin/sh
# Build the libFuzzer targets with clang and run each for SECONDS seconds on a
# scratch copy of its seed corpus (fuzz/corpus-run/, git-ignored), so the
# committed corpus never grows.  Exits non-zero if any target crashed.
#
# Usage: fuzz/run.sh SECONDS
set -eu

if [ $# -ne 1 ] || ! [ "$1" -gt 0 ] 2>/dev/null; then
    echo "usage: $0 SECONDS" >&2
    exit 2
fi
seconds=$1
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
scratch=$root/fuzz/corpus-run

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCORDGATE_FUZZ=ON \
    -DCORDGATE_TESTS=OFF >/dev/null

# Make UBSan findings fatal, so libFuzzer keeps the input that caused them.
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export UBSAN_OPTIONS

failed=0
for src in "$root"/fuzz/fuzz_*.c; do
    target=$(basename "$src" .c)
    name=${target#fuzz_}
    cmake --build "$build" --target "$target" -j "$(nproc)"
    rm -rf "${scratch:?}/${name:?}"
    mkdir -p "$scratch/$name/corpus" "$scratch/$name/crashes"
    if [ -d "$root/fuzz/corpus/$name" ]; then
        cp "$root/fuzz/corpus/$name"/* "$scratch/$name/corpus/"
    fi
    echo "== $target: ${seconds}s"
    if ! "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$scratch/$name/crashes/" \
        "$scratch/$name/corpus"; then
        echo "== $target FAILED; inputs in $scratch/$name/crashes/" >&2
        failed=1
    fi
done
exit $failed
