"""Peers harness: commentguard against scikit-learn, fastText and linfa-bayes on the same files,
in the same run. Run it through run.sh, which builds everything and calls `peers.py run`.

Every measurement is a process of its own, so its peak resident set (GNU time's %M) is
its own. commentguard is timed end to end (process start to exit: reading and parsing the CSV,
writing the scores), linfa-bayes phase by phase in its own process (each phase reads the CSV
again). Each run's CPU time (user + system) is recorded too: on a busy machine rows per
CPU-second move much less than wall-clock rows/s. The Python peers are timed in memory, as their users run
them: the texts are read into a list first and only vectorize + fit (or vectorize +
predict_proba) is timed, which leaves out Python's start-up, imports and CSV parsing and so
favours them.
"""

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------
# Corpora


def read_youtube(data):
    rows = []
    for f in sorted((data / "youtube-dev").glob("Youtube0*.csv")):
        with open(f, encoding="utf-8", errors="replace", newline="") as fh:
            for r in csv.DictReader(fh):
                rows.append((r["CONTENT"], r["CLASS"].strip()))
    return rows


def read_jigsaw(data):
    with open(data / "jigsaw" / "train_PARTIAL_first2886rows.csv", encoding="utf-8", newline="") as fh:
        return [(r["comment_text"], r["toxic"].strip()) for r in csv.DictReader(fh)]


def write_corpus(path, rows, n, label):
    """Writes n rows by repeating `rows` in a shuffled order (fixed seed), ids r0..r{n-1}."""
    if path.exists() and path.stat().st_size > 0:
        return
    order = list(range(len(rows)))
    random.Random(14).shuffle(order)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", label])
        for i in range(n):
            text, y = rows[order[i % len(rows)]]
            w.writerow([f"r{i}", text, y])
    tmp.rename(path)


def build_corpora(data, out, quick):
    out.mkdir(parents=True, exist_ok=True)
    corpora = []
    yt = read_youtube(data)
    p = out / "youtube-200k.csv"
    write_corpus(p, yt, 200_000, "spam")
    corpora.append(("youtube-200k", p, "spam"))
    jg = read_jigsaw(data)
    for name, n in [("jigsaw-100k", 100_000)] + ([] if quick else [("jigsaw-1m", 1_000_000)]):
        p = out / f"{name}.csv"
        write_corpus(p, jg, n, "toxic")
        corpora.append((name, p, "toxic"))
    return corpora


def corpus_stats(path):
    with open(path, encoding="utf-8", newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)]
    return len(texts), sum(len(t.encode("utf-8")) for t in texts) / len(texts), path.stat().st_size


# ---------------------------------------------------------------------------------------------
# Workers: one process per measurement. Each prints one JSON line on stdout.


def load_rows(path, label):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [int(r[label]) for r in rows]


def sklearn_pipeline(kind):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    if kind == "sklearn-nb":
        return make_pipeline(CountVectorizer(), MultinomialNB())
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))


def fasttext_line(text):
    return " ".join(text.split())


def worker(args):
    import joblib  # noqa: F401  (imported before timing; used by the sklearn branches)

    from threadpoolctl import threadpool_limits

    texts, y = load_rows(args.corpus, args.label)
    with threadpool_limits(limits=args.threads):
        if args.tool.startswith("sklearn"):
            if args.phase == "train":
                pipe = sklearn_pipeline(args.tool)
                t0, c0 = time.perf_counter(), time.process_time()
                pipe.fit(texts, y)
                secs, cpu = time.perf_counter() - t0, time.process_time() - c0
                joblib.dump(pipe, args.model)
            else:
                pipe = joblib.load(args.model)
                t0, c0 = time.perf_counter(), time.process_time()
                p = pipe.predict_proba(texts)[:, 1]
                secs, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert len(p) == len(texts)
        elif args.tool == "fasttext":
            import fasttext

            if args.phase == "train":
                # fastText trains from a file of `__label__Y text` lines; writing it is not timed.
                train_file = args.model + ".txt"
                with open(train_file, "w", encoding="utf-8") as fh:
                    for t, yy in zip(texts, y):
                        fh.write(f"__label__{yy} {fasttext_line(t)}\n")
                del texts
                t0, c0 = time.perf_counter(), time.process_time()
                model = fasttext.train_supervised(input=train_file, thread=args.threads, verbose=0)
                secs, cpu = time.perf_counter() - t0, time.process_time() - c0
                model.save_model(args.model)
                os.remove(train_file)
            else:
                model = fasttext.load_model(args.model)
                lines = [fasttext_line(t) for t in texts]
                t0, c0 = time.perf_counter(), time.process_time()
                labels, probs = model.predict(lines, k=-1)
                secs, cpu = time.perf_counter() - t0, time.process_time() - c0
                assert len(probs) == len(lines)
        else:
            raise SystemExit(f"unknown tool {args.tool}")
    print(json.dumps({"seconds": secs, "cpu": cpu}))


# ---------------------------------------------------------------------------------------------
# The orchestrator


TIME = "/usr/bin/time"


def measure(cmd, stdout_path=None, env=None):
    """Runs cmd; returns (wall seconds, CPU seconds, peak RSS MiB, captured stdout).

    The peak RSS comes from GNU time (`%M`), not from this process's wait4: on Linux a child's
    ru_maxrss starts at its parent's resident set when it was forked (the high-water mark
    survives exec), so a child of this Python process would report at least this process's
    size. GNU time is small, so the process it forks starts near zero."""
    work = Path(os.environ.get("PEERS_TMP", "/tmp"))
    out_path = stdout_path or work / f"peers-out-{os.getpid()}.txt"
    err_path = work / f"peers-err-{os.getpid()}.txt"
    rss_path = work / f"peers-rss-{os.getpid()}.txt"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M %U %S", "-o", str(rss_path), *map(str, cmd)],
                              stdout=out, stderr=err, env=env)
        wall = time.perf_counter() - t0
    errtext = err_path.read_text(errors="replace")
    err_path.unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {errtext[-2000:]}")
    rss_kib, user, system = rss_path.read_text().split()[-3:]
    rss_path.unlink()
    text = "" if stdout_path else out_path.read_text(errors="replace")
    if not stdout_path:
        out_path.unlink()
    return wall, float(user) + float(system), int(rss_kib) / 1024, text


def fasttext_available(py):
    return subprocess.run([py, "-c", "import fasttext"], capture_output=True).returncode == 0


def machine():
    cpu = "unknown processor"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    import sklearn

    return (
        f"{os.cpu_count()} cores of {cpu}, {mem:.0f} GiB, {platform.system()} {platform.release()}; "
        f"{rustc}; Python {platform.python_version()}, scikit-learn {sklearn.__version__}"
    )


def fmt_rate(r):
    if r is None:
        return "—"
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    if r >= 1e4:
        return f"{r / 1e3:.0f}k"
    return f"{r / 1e3:.1f}k"


def loadavg():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except OSError:
        return float("nan")


def run(args):
    data = Path(args.data)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    os.environ["PEERS_TMP"] = str(work)
    cg = str(ROOT / "target" / "release" / "commentguard")
    linfa = str(ROOT / "target" / "release" / "examples" / "linfa_peer")
    py = sys.executable
    all_threads = os.cpu_count() or 1
    threads = [1] if all_threads == 1 else [1, all_threads]
    have_fasttext = fasttext_available(py)
    corpora = build_corpora(data, work / "corpora", args.quick)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    results = {}  # (corpus, phase, tool, threads) -> (rows/s wall, rows per CPU-second, MiB)
    stats = {}
    loads = {}
    notes = []
    failed = {}  # (corpus, phase, tool, threads) -> the error's last line

    def record(corpus, phase, tool, n, rows, wall, cpu, rss):
        results[(corpus, phase, tool, n)] = (rows / wall, rows / max(cpu, 1e-9), rss)
        loads.setdefault(corpus, []).append(loadavg())
        print(f"  {corpus:13} {phase:5} {tool:28} {n} thr  {rows / wall:>11,.0f} rows/s  "
              f"{rows / max(cpu, 1e-9):>11,.0f} rows/CPU-s  {rss:7.1f} MiB  ({wall:.2f} s, load {loadavg():.1f})",
              flush=True)

    def worker_run(tool, phase, path, label, model, n):
        _, _, rss, out = measure([py, __file__, "worker", tool, phase, str(path), label, str(model), str(n)])
        j = json.loads(out.strip().splitlines()[-1])
        return j["seconds"], j["cpu"], rss

    def peer(corpus, phase, tool, n, rows, *worker_args):
        """Measures one peer run; a peer that fails is reported in the table, not fatal."""
        try:
            record(corpus, phase, tool, n, rows, *worker_run(tool, phase, *worker_args, n))
            return True
        except RuntimeError as e:
            last = str(e).strip().splitlines()[-1]
            failed[(corpus, phase, tool, n)] = last
            print(f"  {corpus:13} {phase:5} {tool:28} {n} thr  failed: {last}", flush=True)
            return False

    for name, path, label in corpora:
        rows, mean_bytes, size = corpus_stats(path)
        stats[name] = (rows, mean_bytes, size)
        print(f"{name}: {rows:,} rows, {mean_bytes:.0f} bytes of text on average, {size / 1e6:.0f} MB", flush=True)
        big = rows >= 1_000_000
        # commentguard: the defaults (a counting pass, then two NB-LR epochs, each a read of the
        # file), and one pass alone: naive Bayes counts without tuning (`--head nb`; without it
        # `--tune none` still makes the NB-LR epochs).
        for n in threads:
            model = work / f"{name}-cg.model"
            wall, cpu, rss, _ = measure([cg, "train", "--data", path, "--label", label, "--out", model,
                                         "--threads", n])
            record(name, "train", "commentguard", n, rows, wall, cpu, rss)
            m1 = work / f"{name}-cg1.model"
            wall, cpu, rss, _ = measure([cg, "train", "--data", path, "--label", label, "--out", m1,
                                         "--threads", n, "--head", "nb", "--tune", "none",
                                         "--calibration", "none"])
            record(name, "train", "commentguard, one pass", n, rows, wall, cpu, rss)
            results[(name, "pass-mbs", n)] = (size / 1e6 / wall / n, size / 1e6 / cpu)
            wall, cpu, rss, _ = measure([cg, "score", "--input", path, "--model", model, "--threads", n],
                                        stdout_path=work / f"{name}-scores.jsonl")
            record(name, "score", "commentguard", n, rows, wall, cpu, rss)
            if name.startswith("youtube"):
                wall, cpu, rss, _ = measure([cg, "score", "--input", path, "--threads", n],
                                            stdout_path=work / f"{name}-scores-default.jsonl")
                record(name, "score", "commentguard, embedded model", n, rows, wall, cpu, rss)
        # scikit-learn: single-threaded code paths (CountVectorizer, MultinomialNB, binary lbfgs),
        # measured with BLAS held to one thread.
        for tool in ["sklearn-nb", "sklearn-lr"]:
            model = work / f"{name}-{tool}.joblib"
            for phase in ["train", "score"]:
                if not peer(name, phase, tool, 1, rows, path, label, model):
                    break
        # fastText: thread= for training; its predict over a list runs on one thread.
        if have_fasttext:
            model = work / f"{name}-fasttext.bin"
            trained = False
            for n in threads:
                if big and n == 1 and not args.fasttext_big_one_thread:
                    continue
                trained = peer(name, "train", "fasttext", n, rows, path, label, model)
            if trained:
                peer(name, "score", "fasttext", 1, rows, path, label, model)
        # linfa-bayes: single-threaded; one process trains then scores, timing each phase itself.
        if name.startswith("youtube") or args.linfa_jigsaw:
            _, _, _, out = measure([linfa, path, "text", label])
            j = json.loads(out.strip().splitlines()[-1])
            record(name, "train", "linfa-bayes", 1, rows, j["train_s"], j["train_cpu_s"], j["train_rss_kib"] / 1024)
            record(name, "score", "linfa-bayes", 1, rows, j["score_s"], j["score_cpu_s"], j["score_rss_kib"] / 1024)
            if j["non_finite"]:
                notes.append(f"linfa-bayes returned non-finite probabilities for {j['non_finite']:,} rows of {name}.")

    for (corpus, phase, tool, n), err in failed.items():
        notes.append(f"{tool} failed to {phase} on {corpus} with {n} thread{'s' if n > 1 else ''}: `{err}`.")
    table = render(results, stats, loads, corpora, threads, have_fasttext, args, started, notes, failed)
    Path(args.out).write_text(table)
    print()
    print(table)


TOOLS = [
    ("commentguard", "commentguard (defaults: NB-LR)"),
    ("commentguard, one pass", "commentguard, one pass (`--head nb --tune none --calibration none`)"),
    ("commentguard, embedded model", "commentguard, embedded default model"),
    ("sklearn-nb", "scikit-learn CountVectorizer + MultinomialNB"),
    ("sklearn-lr", "scikit-learn TfidfVectorizer + LogisticRegression"),
    ("fasttext", "fastText (`train_supervised` defaults)"),
    ("linfa-bayes", "linfa-bayes MultinomialNb (dense chunks, our features)"),
]


def render(results, stats, loads, corpora, threads, have_fasttext, args, started, notes, failed):
    hi = threads[-1]
    lines = [
        "# Peers: commentguard against scikit-learn, fastText and linfa-bayes, same files, same run",
        "",
        f"Run {started} by `benches/peers/run.sh{' --quick' if args.quick else ''}` on {machine()}.",
        "The machine is shared with other work and noisy: wall-clock rows/s move with whatever else runs",
        "(the load average during each corpus is given), so compare ratios within one run. Rows per",
        "CPU-second (user + system time of the measured process or phase) move much less with the load",
        "and are the fairer one-thread comparison on a busy machine; they do not show gains from threads.",
        "",
        "rows/s counts each row of the file once (training with the defaults reads it once, then makes two epochs over its rows kept in a temporary file). Peak RSS is",
        "the process's (GNU time's `%M`; linfa-bayes reads its own per phase). commentguard and linfa-bayes",
        "are timed end to end (reading and parsing the CSV, writing JSON Lines to a file); the Python peers",
        "in memory (only vectorize + fit, or vectorize + predict_proba, after the texts are loaded), which",
        "favours them. Ratios are commentguard's rows/s (defaults) divided by the peer's: wall-clock and",
        f"per CPU-second at 1 thread against its 1 thread, and commentguard at {hi} threads against the",
        "peer's best wall-clock figure.",
        "",
    ]
    for name, path, label in corpora:
        rows, mean_bytes, size = stats[name]
        ld = loads.get(name, [float("nan")])
        lines += [
            f"## {name}: {rows:,} rows, {mean_bytes:.0f} bytes of text on average ({size / 1e6:.0f} MB), label `{label}`",
            "",
            f"Load average (1 min) while measuring: {min(ld):.1f} to {max(ld):.1f}.",
            "",
            f"| phase | tool | 1 thread: rows/s | rows/CPU-s | peak RSS | {hi} threads: rows/s | peak RSS "
            f"| commentguard ÷ peer, 1 thread (wall / CPU) | commentguard {hi} threads ÷ peer's best |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for phase in ["train", "score"]:
            cg1 = results.get((name, phase, "commentguard", 1))
            cgn = results.get((name, phase, "commentguard", hi))
            for key, title in TOOLS:
                r1 = results.get((name, phase, key, 1))
                rn = results.get((name, phase, key, hi)) if hi != 1 else None
                if r1 is None and rn is None:
                    if key == "fasttext" and not have_fasttext:
                        lines.append(f"| {phase} | {title} | could not be installed | | | | | | |")
                    elif any(k[:3] == (name, phase, key) for k in failed):
                        lines.append(f"| {phase} | {title} | failed (see below) | | | failed (see below) | | | |")
                    continue
                a = (fmt_rate(r1[0]), fmt_rate(r1[1]), f"{r1[2]:.0f} MiB") if r1 else ("—", "—", "")
                b = (fmt_rate(rn[0]), f"{rn[2]:.0f} MiB") if rn else ("—", "")
                ratio1 = ratio_n = ""
                if not key.startswith("commentguard"):
                    best = max(x[0] for x in (r1, rn) if x)
                    if cg1 and r1:
                        ratio1 = f"**{cg1[0] / r1[0]:.1f}×** / {cg1[1] / r1[1]:.1f}×"
                    if cgn:
                        ratio_n = f"**{cgn[0] / best:.1f}×**"
                lines.append(f"| {phase} | {title} | {a[0]} | {a[1]} | {a[2]} | {b[0]} | {b[1]} | {ratio1} | {ratio_n} |")
        mbs = [(n, results.get((name, "pass-mbs", n))) for n in threads]
        lines += [
            "",
            "One pass of training: "
            + "; ".join(f"{n} thread{'s' if n > 1 else ''}: {m[0]:.1f} MB/s per thread of wall time"
                        for n, m in mbs if m)
            + f"; {mbs[0][1][1]:.1f} MB per CPU-second (file bytes ÷ seconds).",
            "",
        ]
    lines += [
        "scikit-learn's pipelines run on one thread (CountVectorizer, MultinomialNB and binary lbfgs have no",
        "parallel path), measured with BLAS held to one thread. fastText's `predict` over a list runs on one",
        "thread. linfa-bayes is single-threaded; it takes dense matrices, so it is fed chunks of at most",
        "256 MiB through `fit_with`, on commentguard's own features (its vocabulary pass is counted in its",
        "training time).",
    ]
    if not have_fasttext:
        lines.append("fastText: the `fasttext` package could not be installed here, so it has no row.")
    big = [c for c in corpora if stats[c[0]][0] >= 1_000_000]
    if not args.linfa_jigsaw:
        lines.append("linfa-bayes runs on the YouTube corpus only: on Jigsaw's vocabulary (over 100k features) its")
        lines.append("dense chunks take tens of minutes per 100k rows here (pass --linfa-jigsaw to run it anyway).")
    if big and have_fasttext and not args.fasttext_big_one_thread:
        lines.append("fastText trains on the 1M-row corpus with all threads only (pass --fasttext-big-one-thread).")
    lines += notes
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--data", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--quick", action="store_true", help="skip the 1M-row corpus")
    r.add_argument("--linfa-jigsaw", action="store_true", help="run linfa-bayes on the Jigsaw corpora too")
    r.add_argument("--fasttext-big-one-thread", action="store_true",
                   help="train fastText on one thread on the 1M-row corpus too")
    w = sub.add_parser("worker")
    w.add_argument("tool")
    w.add_argument("phase", choices=["train", "score"])
    w.add_argument("corpus")
    w.add_argument("label")
    w.add_argument("model")
    w.add_argument("threads", type=int)
    args = ap.parse_args()
    if args.cmd == "run":
        run(args)
    else:
        worker(args)


if __name__ == "__main__":
    main()
