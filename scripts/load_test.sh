#!/usr/bin/env bash
# Load test of `commentguard serve` with wrk (Debian package `wrk`) on loopback. Prints every
# figure and /metrics after the run. Usage: scripts/load_test.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
load="$root/scripts/load"
secs="${1:-10}"
conns="${2:-64}"
command -v wrk > /dev/null || { echo "needs wrk: apt-get install wrk"; exit 1; }
(cd "$root" && cargo build --release --quiet)
work="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export CG_KEY="load-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '[[key]]\nkey = "%s"\nroles = ["score", "learn", "admin"]\n' "$CG_KEY" > "$work/keys.toml"
cp "$root/models/default.model" "$work/base.model"
RUST_LOG="${RUST_LOG:-warn}" "$root/target/release/commentguard" serve --listen 127.0.0.1:0 \
    --keys "$work/keys.toml" --journal "$work/journal" --model "$work/base.model" \
    --max-concurrent 2048 \
    > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/out" && break; sleep 0.05; done
addr="http://$(sed -n 's/^listening on //p' "$work/out")"
echo "server $addr, wrk: 2 threads, $conns connections, ${secs}s per run, $(nproc) cores shared"

run() { echo; echo "== $1"; shift; wrk --latency "$@" | grep -E "Requests/sec|Latency|50%|99%|requests in|Non-2xx|Socket errors"; }
# A short unmeasured run first: the first requests fault in the model's pages and grow each
# worker's buffers.
wrk -t2 -c"$conns" -d2s -s "$load/score.lua" "$addr/v1/score" > /dev/null
run "single comment POST /v1/score, wrk -t2" -t2 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score"
# One wrk thread keeps the server busy with less of the two cores.
run "single comment POST /v1/score, wrk -t1" -t1 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score"
run "batches of 100 POST /v1/score (comments/s = requests/s x 100)" -t2 -c16 -d"${secs}s" -s "$load/batch.lua" "$addr/v1/score"
for t in 2 1; do
    run "Perspective comments:analyze, wrk -t$t" -t$t -c"$conns" -d"${secs}s" -s "$load/perspective.lua" "$addr"
    run "Akismet comment-check, wrk -t$t" -t$t -c"$conns" -d"${secs}s" -s "$load/akismet.lua" "$addr"
done

# Scoring with and without feedback, with the same wrk settings, alternately (the machine is
# shared and noisy). The feedback is a closed loop: each connection sends its next feedback 65 ms
# after its answer, so the rate offered is connections / (65 ms + answer time). The learner holds
# feedback while over its share of a core's CPU time, so answers take up to about a second;
# 1,100 connections keep the rate at about 1,000/s or more (the server takes 2,048 requests at
# once here, as the 1,024 of its default would refuse some).
# Each round also scores beside a control: the same texts from as many connections, sent to
# /v1/score at about 1,000 requests/s (each connection waits 1 s after an answer). Scoring
# beside the control against scoring beside feedback separates what learning costs from what
# answering as many requests from as many connections costs.
fb_conns=1100
learned() { curl -fsS -H "Authorization: Bearer $CG_KEY" "$addr/v1/model" | python3 -c 'import json,sys; print(json.load(sys.stdin)["feedback"]["learned"])'; }
rate() { sed -n 's/^Requests\/sec: *//p' "$1"; }
share() { python3 -c "print(f'{$(rate "$1") / $(rate "$2"):.1%}')"; }
ratios=""
controls=""
# Scoring alone, each round against the one before: how far the machine moves by itself.
alone_ratios=""
previous=""
for round in 1 2 3; do
    run "single comment POST /v1/score, wrk -t1, no feedback (round $round)" -t1 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" | tee "$work/alone.txt"
    [ -n "$previous" ] && alone_ratios="$alone_ratios $(python3 -c "print(f'{$(rate "$work/alone.txt") / $previous:.1%}')");"
    previous="$(rate "$work/alone.txt")"
    echo; echo "== scoring while feedback is learned ($fb_conns connections, each waiting 65 ms after an answer; round $round)"
    before="$(learned)"
    CG_DELAY_MS=65 wrk -t1 -c"$fb_conns" -d"${secs}s" -s "$load/feedback.lua" "$addr" > "$work/feedback.txt" &
    fb=$!
    run "single comment POST /v1/score, wrk -t1, during feedback (round $round)" -t1 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" | tee "$work/during.txt"
    wait "$fb"
    after="$(learned)"
    grep -E "Requests/sec|Latency |Non-2xx|Socket errors" "$work/feedback.txt" | sed 's/^/feedback: /'
    echo "feedback learned during the run: $((after - before)) ($(( (after - before) / secs ))/s)"
    ratios="$ratios $(share "$work/during.txt" "$work/alone.txt") at $(( (after - before) / secs ))/s;"
    echo; echo "== control: the same texts to /v1/score from $fb_conns connections, each waiting 1 s (round $round)"
    CG_SCORE=1 CG_DELAY_MS=1000 wrk -t1 -c"$fb_conns" -d"${secs}s" -s "$load/feedback.lua" "$addr" > "$work/control.txt" &
    ctl=$!
    run "single comment POST /v1/score, wrk -t1, beside the control (round $round)" -t1 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" | tee "$work/beside.txt"
    wait "$ctl"
    grep -E "Requests/sec|Non-2xx" "$work/control.txt" | sed 's/^/control: /'
    controls="$controls $(share "$work/beside.txt" "$work/alone.txt") at $(rate "$work/control.txt" | cut -d. -f1)/s;"
done
# The same at a steady pace below the maximum: 256 connections each waiting 8 ms after an
# answer offer about 27,000 requests/s, near the 30,000 the service is asked to answer. Does
# scoring keep that rate, and its latency, while feedback is learned?
paced=""
for round in 1 2 3; do
    CG_DELAY_MS=8 run "paced POST /v1/score, wrk -t1 -c256, no feedback (round $round)" -t1 -c256 -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" | tee "$work/paced_alone.txt"
    before="$(learned)"
    CG_DELAY_MS=65 wrk -t1 -c"$fb_conns" -d"${secs}s" -s "$load/feedback.lua" "$addr" > "$work/feedback.txt" &
    fb=$!
    CG_DELAY_MS=8 run "paced POST /v1/score, wrk -t1 -c256, during feedback (round $round)" -t1 -c256 -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" | tee "$work/paced_during.txt"
    wait "$fb"
    after="$(learned)"
    p99() { sed -n 's/^ *99% *//p' "$1"; }
    paced="$paced $(share "$work/paced_during.txt" "$work/paced_alone.txt") at $(( (after - before) / secs ))/s (p99 $(p99 "$work/paced_alone.txt") alone, $(p99 "$work/paced_during.txt") during);"
done
echo "scoring during feedback, as a share of the rate without, by round:$ratios"
echo "paced scoring during feedback, as a share of the paced rate without, by round:$paced"
echo "scoring beside the control (plain scoring requests), as a share of the rate without, by round:$controls"
echo "scoring alone, as a share of the round before (the machine's own drift):$alone_ratios"

echo; echo "== hot reload under load (POST /v1/admin/reload every 0.5 s)"
wrk --latency -t2 -c"$conns" -d"${secs}s" -s "$load/score.lua" "$addr/v1/score" > "$work/reload.txt" &
w=$!
reloads=0
end=$((SECONDS + secs - 1))
while [ $SECONDS -lt $end ]; do
    curl -fsS -X POST -H "Authorization: Bearer $CG_KEY" "$addr/v1/admin/reload" > /dev/null && reloads=$((reloads + 1))
    kill -HUP "$pid"
    sleep 0.5
done
wait "$w"
grep -E "Requests/sec|99%|requests in|Non-2xx|Socket errors" "$work/reload.txt"
echo "reloads: $reloads by POST /v1/admin/reload, as many by SIGHUP; a Non-2xx line above would mean failed requests"

echo; echo "== /metrics after the run"
curl -fsS "$addr/metrics" | grep -v "_bucket{" | grep -v "^#"
