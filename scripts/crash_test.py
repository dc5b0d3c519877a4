#!/usr/bin/env python3
"""Crash test of `commentguard serve`'s journal: feedback at full speed and compactions
(`POST /v1/admin/snapshot`) at random moments, `kill -9` at random moments, restart, and check
that every acknowledged feedback is in the model exactly once and that the snapshot model file
in use is always valid.

Usage: scripts/crash_test.py [--kills 25] [--bin target/debug/commentguard] [--seed 1]

Each feedback has its own text. After the last restart:
- the model counts what the journal holds: learned >= acknowledged, and learned <= sent;
- every acknowledged feedback can be forgotten exactly once (a second forget is a 409), so
  none was lost and none was learned twice;
- after forgetting all of them, the model's rows are the base rows plus the feedback that was
  journaled but never acknowledged (the kill came between fsync and answer).
Standard library only.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

KEY = "crash-test-key-0123456789abcdef"


def request(base, path, body=None, timeout=5):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + path,
        data=data,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def start(binary, keys, journal):
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--keys", keys, "--journal", journal],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"the server did not start (journal or model invalid?): {line!r}")
    base = "http://" + line.split()[-1]
    for _ in range(200):
        try:
            if request(base, "/readyz")[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.02)
    sys.exit("the server never became ready")


def check_snapshot(binary, journal):
    """The snapshot CURRENT names (if any) is a valid model file."""
    try:
        with open(os.path.join(journal, "CURRENT")) as f:
            generation = int(f.read())
    except FileNotFoundError:
        return
    model = os.path.join(journal, f"snapshot-{generation}.model")
    result = subprocess.run([binary, "inspect", "--model", model], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"snapshot {model} is not a valid model: {result.stderr.strip()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=25)
    ap.add_argument("--bin", default="target/debug/commentguard")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--senders", type=int, default=8)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="cg-crash-")
    keys = os.path.join(work, "keys.toml")
    with open(keys, "w") as f:
        f.write(f'[[key]]\nkey = "{KEY}"\nroles = ["score", "learn", "admin"]\n')
    journal = os.path.join(work, "journal")

    acked, sent = set(), set()
    lock = threading.Lock()
    counter = [0]
    proc, base = start(args.bin, keys, journal)
    base_rows = request(base, "/v1/model")[1]["training"]["rows"]

    def sender(stop, base):
        while not stop.is_set():
            with lock:
                n = counter[0]
                counter[0] += 1
                sent.add(n)
            body = {"text": f"crash test feedback number {n} zq{n}x", "labels": {"spam": n % 2 == 0}}
            try:
                status, _ = request(base, "/v1/feedback", body, timeout=2)
            except OSError:
                continue  # killed mid-request: not acknowledged
            if status == 200:
                with lock:
                    acked.add(n)

    snapshots = [0]

    def snapshotter(stop, base):
        while not stop.is_set():
            time.sleep(rng.uniform(0.05, 0.3))
            try:
                if request(base, "/v1/admin/snapshot", {}, timeout=5)[0] == 200:
                    snapshots[0] += 1
            except OSError:
                pass

    for kill in range(args.kills):
        stop = threading.Event()
        threads = [threading.Thread(target=sender, args=(stop, base)) for _ in range(args.senders)]
        threads.append(threading.Thread(target=snapshotter, args=(stop, base)))
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        check_snapshot(args.bin, journal)
        print(f"kill {kill + 1:2}: sent {len(sent)}, acknowledged {len(acked)}, snapshots {snapshots[0]}", flush=True)
        proc, base = start(args.bin, keys, journal)

    failures = []
    model = request(base, "/v1/model")[1]
    learned = model["feedback"]["learned"]
    print(f"after {args.kills} kills: sent {len(sent)}, acknowledged {len(acked)}, learned {learned}")
    if not len(acked) <= learned <= len(sent):
        failures.append(f"learned {learned} outside [acknowledged {len(acked)}, sent {len(sent)}]")
    for n in sorted(acked):
        body = {"text": f"crash test feedback number {n} zq{n}x", "labels": {"spam": n % 2 == 0}}
        first, _ = request(base, "/v1/forget", body)
        second, _ = request(base, "/v1/forget", body)
        if (first, second) != (200, 409):
            failures.append(f"feedback {n}: forget answered {first}, then {second} (want 200, 409)")
    model = request(base, "/v1/model")[1]
    rest = model["feedback"]["learned"]
    rows = model["training"]["rows"]
    if rows != base_rows + rest:
        failures.append(f"rows {rows} != base {base_rows} + unacknowledged learned {rest}")
    print(f"forgot every acknowledged feedback once; {rest} journaled but unacknowledged remain; rows {rows} = {base_rows} + {rest}")
    proc.send_signal(signal.SIGTERM)
    code = proc.wait()
    if code != 0:
        failures.append(f"SIGTERM exit code {code}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures[:20]))
        sys.exit(1)
    print("crash test passed")


if __name__ == "__main__":
    main()
