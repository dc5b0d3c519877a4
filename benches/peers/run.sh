#!/usr/bin/env bash
# Peers harness: builds commentguard and the linfa-bayes peer, installs the Python peers in a
# virtual environment, builds the corpora from ../shared/data and measures everything in one run.
#
#   benches/peers/run.sh [--quick] [--linfa-jigsaw] [--fasttext-big-one-thread]
#   benches/peers/run.sh --zero-shot          # the zero-shot table instead (zero_shot.py)
#   benches/peers/run.sh --accuracy           # the trained-accuracy table instead (accuracy.py)
#
# --quick skips the 1M-row corpus. The table goes to benches/peers/results.md (or
# zero_shot.md, or accuracy.md) and to stdout. The data folder is ../shared/data beside the repository, or
# $COMMENTGUARD_DATA. Everything else it makes stays under target/peers/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
data="${COMMENTGUARD_DATA:-$root/../shared/data}"
if [[ ! -d "$data/youtube-dev" || ! -d "$data/jigsaw" ]]; then
    echo "benches/peers: skipped: no data at $data (expected ../shared/data beside the repository, or set COMMENTGUARD_DATA)"
    exit 0
fi
data="$(cd "$data" && pwd)"
if [[ ! -x /usr/bin/time ]]; then
    echo "benches/peers: needs GNU time at /usr/bin/time for peak memory (apt-get install time)" >&2
    exit 1
fi

zero_shot=0
accuracy=0
args=()
for a in "$@"; do
    case "$a" in
        --zero-shot) zero_shot=1 ;;
        --accuracy) accuracy=1 ;;
        *) args+=("$a") ;;
    esac
done

work="$root/target/peers"
venv="$work/venv"
mkdir -p "$work"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
if (( zero_shot )); then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/zero_shot-requirements.txt
fi
# fastText builds from source where no wheel fits; the table says so when it cannot install.
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/fasttext-requirements.txt; then
    echo "benches/peers: fastText could not be installed; its rows will say so" >&2
fi

nice -n 10 cargo build --release --quiet
if (( accuracy )); then
    exec nice -n 5 "$venv/bin/python" benches/peers/accuracy.py --data "$data" \
        --commentguard target/release/commentguard --out benches/peers/accuracy.md "${args[@]}"
fi
if (( zero_shot )); then
    exec nice -n 5 "$venv/bin/python" benches/peers/zero_shot.py --data "$data" \
        --commentguard target/release/commentguard --out benches/peers/zero_shot.md "${args[@]}"
fi
nice -n 10 cargo build --release --quiet --example linfa_peer
exec nice -n 5 "$venv/bin/python" benches/peers/peers.py run --data "$data" --work "$work" \
    --out benches/peers/results.md "${args[@]}"
