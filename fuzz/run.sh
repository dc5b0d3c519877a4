#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, starting from its corpus in fuzz/corpus/<target>/.
#
#   bash fuzz/run.sh [SECONDS]     # SECONDS per target, default 60
#
# Exits non-zero when a target crashes, hangs (a run over 10 s) or runs out of memory (2 GB);
# the input that did it is in fuzz/artifacts/<target>/. New inputs go to a temporary folder,
# so a run leaves the committed corpora as they are.
#
# cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module) to rustc. This
# project builds on stable only, so RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
# Targets are built without AddressSanitizer: commentguard forbids unsafe code, so the sanitizer
# would only guard the dependencies and it halves the executions per second; debug assertions
# and overflow checks are on (cargo-fuzz's default).
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
targets=(csv jsonl model analyzer)
cargo fuzz build --sanitizer none

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target" "corpus/$target"
    echo "== fuzz target $target for ${seconds}s"
    # Model payloads are kept small: mutants of a 700 kB model run at 30 per second, not 4000.
    max_len=()
    if [[ $target == model ]]; then max_len=(-max_len=16384); fi
    if ! cargo fuzz run --sanitizer none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "${max_len[@]}"; then
        failed+=("$target")
    fi
done
if ((${#failed[@]})); then
    echo "fuzz targets that failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: every target ran ${seconds}s without a failure"
