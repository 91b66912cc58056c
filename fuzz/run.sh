#!/usr/bin/env bash
# Builds every fuzz target once (cargo-fuzz, nightly), then runs each for a
# bounded time, two at a time, from its committed seeds (fuzz/seeds/TARGET)
# plus what earlier runs found (fuzz/corpus/TARGET, not committed). Fails when
# any target crashes, panics, times out on one input or runs out of memory,
# printing the target's log and the input (base64) so CI logs reproduce it.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 30 s, every target)
#
# FUZZ_JOBS sets how many targets run at once (default 2).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
shift || true
jobs="${FUZZ_JOBS:-2}"

# No sanitizer: every crate of ours forbids unsafe code, and the build and the
# runs are several times cheaper; debug assertions and overflow checks are on.
cargo +nightly fuzz build --sanitizer none --codegen-units 16
bin=target/x86_64-unknown-linux-gnu/release
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

mkdir -p logs
run_one() {
    local t=$1 start=$SECONDS
    mkdir -p "corpus/$t" "artifacts/$t"
    rm -f "artifacts/$t"/*
    if "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" \
        "corpus/$t" "seeds/$t" >"logs/$t.log" 2>&1; then
        local runs
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz $t: ok, $runs inputs in $((SECONDS - start)) s"
    else
        echo "fuzz $t: FAILED after $((SECONDS - start)) s; log fuzz/logs/$t.log:"
        tail -n 60 "logs/$t.log"
        for f in "artifacts/$t"/*; do
            [ -f "$f" ] || continue
            echo "input fuzz/$f (base64; replay: base64 -d > in && fuzz/$bin/$t in):"
            head -c 4096 "$f" | base64
        done
        return 1
    fi
}

failed=0
running=0
for t in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
exit "$failed"
