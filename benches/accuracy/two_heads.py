#!/usr/bin/env python3
"""Word and character views: one model of both (concatenated features) against two heads, one
per view, averaged in log-odds (issue 15, item 2). ROC AUC per fold, then mean and fold-to-fold
std, on the public rows of the README's Accuracy table.

Usage: benches/accuracy/two_heads.py [--rows yt,sms,dav,jig] [--chars 3-5]
Needs the release binary and its log_odds example:
    cargo build --release && cargo build --release --example log_odds
Folds: YouTube leaves one video out; the others are 5 folds stratified by label, each row's
fold fixed by a hash of its position (the same folds for every variant). Every model is
`train`'s defaults (NB-LR over words 1-2) plus the view's flags, with `--tune none
--calibration none`: neither changes the log-odds, which is all ROC AUC reads. F1 of the
averaged head would need thresholds tuned on averaged out-of-fold scores, which `train` has no
way to produce, so only ROC AUC is compared. Data is read from ../shared/data; absent rows are
skipped with a note.
"""
import csv, math, os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
D = os.path.join(os.path.dirname(ROOT), "shared", "data")
BIN = os.environ.get("CG_BIN") or os.path.join(ROOT, "target", "release", "commentguard")
LOG_ODDS = os.path.join(ROOT, "target", "release", "examples", "log_odds")
Y = f"{D}/youtube-dev"


def youtube():
    groups = []
    for name in ("Youtube01-Psy.csv", "Youtube02-KatyPerry.csv", "Youtube03-LMFAO.csv"):
        with open(f"{Y}/{name}", newline="", encoding="utf-8", errors="replace") as f:
            groups.append([(r["CONTENT"], r["CLASS"] == "1") for r in csv.DictReader(f)])
    return groups


def rows(path, text, positive):
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return [(r[text], positive(r)) for r in csv.DictReader(f)]


DATA = {
    "yt": (f"{Y}/Youtube01-Psy.csv", youtube),
    "sms": (f"{D}/sms/sms_spam.csv", lambda: rows(f"{D}/sms/sms_spam.csv", "text", lambda r: r["label"] == "spam")),
    "dav": (f"{D}/davidson/labeled_data.csv", lambda: rows(f"{D}/davidson/labeled_data.csv", "tweet", lambda r: r["class"] in ("0", "1"))),
    "jig": (f"{D}/jigsaw/train_PARTIAL_first2886rows.csv", lambda: rows(f"{D}/jigsaw/train_PARTIAL_first2886rows.csv", "comment_text", lambda r: r["toxic"] == "1")),
}


def folds(data, k=5):
    """Stratified folds: within each class, rows in a fixed pseudo-random order dealt round."""
    out = [[] for _ in range(k)]
    for cls in (True, False):
        members = [i for i, (_, y) in enumerate(data) if y == cls]
        members.sort(key=lambda i: (i * 2654435761) % 2**32)
        for j, i in enumerate(members):
            out[j % k].append(data[i])
    return out


def auc(scores, truth):
    pairs = sorted(zip(scores, truth))
    pos = sum(truth)
    neg = len(truth) - pos
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        rank_sum += (i + 1 + j) / 2 * sum(1 for p in pairs[i:j] if p[1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def write(path, data):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "y"])
        w.writerows((t, int(y)) for t, y in data)


def log_odds(tmp, name, flags, train, test):
    model = os.path.join(tmp, f"{name}.model")
    cmd = [BIN, "train", "--data", train, "--label", "y", "--tune", "none",
           "--calibration", "none", "--out", model] + flags
    subprocess.run(cmd, check=True, capture_output=True)
    out = subprocess.run([LOG_ODDS, model, test], check=True, capture_output=True, text=True)
    return [float(line) for line in out.stdout.splitlines()[1:]]


def main(argv):
    wanted, chars = ["yt", "sms", "dav", "jig"], "3-5"
    if "--rows" in argv:
        wanted = argv[argv.index("--rows") + 1].split(",")
    if "--chars" in argv:
        chars = argv[argv.index("--chars") + 1]
    for path in (BIN, LOG_ODDS):
        if not os.path.exists(path):
            sys.exit(f"{path} is missing: cargo build --release && cargo build --release --example log_odds")
    views = {
        "words": [],
        "characters": ["--word-ngrams", "0", "--char-ngrams", chars],
        "concatenated": ["--char-ngrams", chars],
    }
    print(f"| data | words 1-2 | characters {chars} | concatenated | two heads averaged in log-odds |")
    print("|---|---|---|---|---|")
    for row in wanted:
        probe, load = DATA[row]
        if not os.path.exists(probe):
            print(f"note: {row} skipped: {probe} is absent")
            continue
        parts = load() if row == "yt" else folds(load())
        results = {name: [] for name in list(views) + ["averaged"]}
        with tempfile.TemporaryDirectory() as tmp:
            for k, test_rows in enumerate(parts):
                train_rows = [r for j, p in enumerate(parts) if j != k for r in p]
                train, test = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
                write(train, train_rows)
                write(test, test_rows)
                truth = [y for _, y in test_rows]
                z = {name: log_odds(tmp, name, flags, train, test) for name, flags in views.items()}
                z["averaged"] = [(a + b) / 2 for a, b in zip(z["words"], z["characters"])]
                for name, scores in z.items():
                    results[name].append(auc(scores, truth))
        cells = [f"{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f}" for v in results.values()]
        print(f"| {row} ({len(parts)} folds) | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
