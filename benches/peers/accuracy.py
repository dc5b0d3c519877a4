"""Accuracy table: commentguard trained on each public set against scikit-learn and fastText, on
the same rows and the same folds, in one run.

Run it through `benches/peers/run.sh --accuracy` (which installs the peers in the harness's
virtual environment and builds commentguard), or directly:

    python benches/peers/accuracy.py --data ../shared/data --commentguard target/release/commentguard

Every tool sees the same texts (decoded here once, undecodable bytes replaced) and the same
folds: YouTube leaves one video out (3 folds); SMS, Davidson and Jigsaw are 5 folds stratified
by label, each row's fold fixed by a hash of its position. The folds are written into the CSV
commentguard reads, and `commentguard cv --group-column fold` holds out exactly those; its
`fold_groups` says which fold is which, so every figure is paired fold by fold.

Thresholds. commentguard picks each fold's threshold from out-of-fold scores over that fold's
training rows (its default, F1). The peers are given both: F1 at 0.5 (what `predict` does, and
what a user gets), and F1 at a threshold tuned the same way as ours (5 inner stratified folds
over the training rows, the cut that maximizes F1 on their out-of-fold probabilities). The
inner models reuse the outer fold's vocabulary, which sees no labels.

The NB-LR peer is the issue's scikit-learn check as commonly written (Wang & Manning 2012, the
Jigsaw "NB-SVM" baseline): TF-IDF (sublinear tf) word 1-2-grams and, apart, character 2-5-grams
inside word boundaries; per view r = log of the ratio of the positive and negative feature
sums (each plus 1, normalized); liblinear logistic regression, C = 4, on x * r; the two views'
probabilities averaged.

Noise: for each row and peer, the per-fold difference (commentguard's default minus the peer)
is given as mean and standard deviation over the folds; a difference whose mean is within two
standard errors of zero (|mean| <= 2 sd / sqrt(k)) is marked as noise.
"""

import argparse
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

try:
    import fasttext
except ImportError:  # the table says so
    fasttext = None

JIG6 = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
FOLDS = 5
INNER = 5


def read_csv(path, text_col, label_fn):
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return [(r[text_col], label_fn(r)) for r in csv.DictReader(f)]


def stratified_folds(labels, k=FOLDS):
    """Within each label pattern, rows in a fixed pseudo-random order, dealt round."""
    fold = [0] * len(labels)
    strata = {}
    for i, y in enumerate(labels):
        strata.setdefault(tuple(y) if isinstance(y, (list, tuple)) else y, []).append(i)
    nxt = 0
    for key in sorted(strata, key=str):
        members = sorted(strata[key], key=lambda i: ((i * 2654435761) % 2**32, i))
        for i in members:
            fold[i] = nxt % k
            nxt += 1
    return fold


def datasets(data):
    """name -> (texts, {label: [0/1]}, fold per row, how the folds were made)."""
    out = {}
    y = data / "youtube-dev"
    videos = ["Youtube01-Psy.csv", "Youtube02-KatyPerry.csv", "Youtube03-LMFAO.csv"]
    if all((y / v).exists() for v in videos):
        texts, labels, fold = [], [], []
        for k, v in enumerate(videos):
            for t, l in read_csv(y / v, "CONTENT", lambda r: int(r["CLASS"] == "1")):
                texts.append(t)
                labels.append(l)
                fold.append(k)
        out["youtube-dev (spam)"] = (texts, {"spam": labels}, fold, "leave one video out (3)")
    sms = data / "sms" / "sms_spam.csv"
    if sms.exists():
        rows = read_csv(sms, "text", lambda r: int(r["label"] == "spam"))
        labels = [l for _, l in rows]
        out["sms (spam)"] = ([t for t, _ in rows], {"spam": labels}, stratified_folds(labels), "stratified 5-fold")
    dav = data / "davidson" / "labeled_data.csv"
    if dav.exists():
        rows = read_csv(dav, "tweet", lambda r: int(r["class"] in ("0", "1")))
        labels = [l for _, l in rows]
        out["davidson (offensive or hate)"] = ([t for t, _ in rows], {"toxic": labels}, stratified_folds(labels), "stratified 5-fold")
    jig = data / "jigsaw" / "train_PARTIAL_first2886rows.csv"
    if jig.exists():
        rows = read_csv(jig, "comment_text", lambda r: [int(r[c]) for c in JIG6])
        texts = [t for t, _ in rows]
        ys = {c: [l[i] for _, l in rows] for i, c in enumerate(JIG6)}
        fold = stratified_folds(ys["toxic"])
        out["jigsaw (toxic)"] = (texts, {"toxic": ys["toxic"]}, fold, "stratified 5-fold")
        out["jigsaw, 6 labels (mean ROC AUC)"] = (texts, ys, fold, "the same 5 folds")
    return out


def best_f1_threshold(p, y):
    """The cut maximizing F1 over out-of-fold probabilities (flag when p >= cut)."""
    order = np.argsort(-p, kind="mergesort")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    pos = ys.sum()
    f1 = 2 * tp / (tp + fp + pos)
    # Only cut between distinct scores.
    last = np.r_[ps[1:] != ps[:-1], True]
    f1 = np.where(last, f1, -1)
    i = int(np.argmax(f1))
    return float(ps[i])


# ---- peers: each is fit(texts_train, y_train) -> model; proba(model, texts) -> P(positive) ----


class Pipeline:
    """A vectorizer and a classifier, each made fresh per fit, as scikit-learn's defaults."""

    def __init__(self, name, vectorizer, classifier):
        self.name, self.vectorizer, self.classifier = name, vectorizer, classifier

    def vectorize(self, train):
        v = self.vectorizer()
        return v.fit_transform(train), v.transform

    def fit(self, x, y):
        return self.classifier().fit(x, y)

    def proba(self, m, x):
        return m.predict_proba(x)[:, 1]


def count_nb():
    return Pipeline("scikit-learn CountVectorizer + MultinomialNB", CountVectorizer, MultinomialNB)


def tfidf_lr():
    return Pipeline(
        "scikit-learn TfidfVectorizer + LogisticRegression",
        TfidfVectorizer,
        lambda: LogisticRegression(max_iter=1000),
    )


class NbLr:
    name = "scikit-learn NB-LR, word 1-2 and char 2-5 views averaged"

    def vectorize(self, train):
        w = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        c = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        xw, xc = w.fit_transform(train), c.fit_transform(train)
        return (xw, xc), lambda t: (w.transform(t), c.transform(t))

    @staticmethod
    def _ratio(x, y):
        p = np.asarray(x[y == 1].sum(0)).ravel() + 1
        q = np.asarray(x[y == 0].sum(0)).ravel() + 1
        return np.log((p / p.sum()) / (q / q.sum()))

    def fit(self, xs, y):
        views = []
        for x in xs:
            r = self._ratio(x, y)
            lr = LogisticRegression(C=4, solver="liblinear").fit(x.multiply(r).tocsr(), y)
            views.append((r, lr))
        return views

    def proba(self, m, xs):
        return np.mean([lr.predict_proba(x.multiply(r).tocsr())[:, 1] for (r, lr), x in zip(m, xs)], axis=0)


class FitFailed(Exception):
    """A peer could not be fitted on a fold; its row says so instead of a figure."""


FASTTEXT_CHILD = """
import sys, fasttext
train, test, out = sys.argv[1:4]
m = fasttext.train_supervised(train, thread=1, verbose=0)
lines = open(test, encoding="utf-8").read().split("\\n")[:-1]
labels, probs = m.predict(lines, k=-1)
with open(out, "w") as f:
    for ls, ps in zip(labels, probs):
        f.write(f"{dict(zip(ls, ps)).get('__label__1', 0.0)}\\n")
"""


def ft_line(t):
    return " ".join(t.split())


class FastText:
    """Each fit and prediction runs in a fresh Python process: in one process fastText 0.9.3
    starts failing with "Encountered NaN" after a few trainings (the same file trained eight
    times in a row: four fine, then four NaN), and after scikit-learn has run, from the first.
    In fresh processes the same file trains every time."""

    name = "fastText (train_supervised defaults, one thread)"

    def vectorize(self, train):
        return list(train), lambda t: list(t)

    def fit(self, texts, y):
        return (texts, y)

    def proba(self, m, texts):
        with tempfile.TemporaryDirectory() as d:
            train, test, out = (os.path.join(d, n) for n in ("train.txt", "test.txt", "p.txt"))
            with open(train, "w", encoding="utf-8") as f:
                for t, l in zip(*m):
                    f.write(f"__label__{int(l)} {ft_line(t)}\n")
            with open(test, "w", encoding="utf-8") as f:
                for t in texts:
                    f.write(ft_line(t) + "\n")
            run = subprocess.run([sys.executable, "-c", FASTTEXT_CHILD, train, test, out], capture_output=True, text=True)
            if run.returncode != 0:
                raise FitFailed(run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}")
            with open(out) as f:
                return np.clip(np.array([float(x) for x in f.read().split()]), 0.0, 1.0)


def rows_of(x, idx):
    if isinstance(x, tuple):
        return tuple(rows_of(v, idx) for v in x)
    if isinstance(x, list):
        return [x[i] for i in idx]
    return x[idx]


def run_peer(peer, texts, y, fold, k, tune):
    """Per fold: (F1 at 0.5, F1 at the tuned cut or None, ROC AUC)."""
    texts = np.array(texts, dtype=object)
    out = []
    for f in range(k):
        tr = np.where(fold != f)[0]
        te = np.where(fold == f)[0]
        xtr, transform = peer.vectorize(list(texts[tr]))
        xte = transform(list(texts[te]))
        ytr = y[tr]
        model = peer.fit(xtr, ytr)
        p = peer.proba(model, xte)
        f1_half = f1_score(y[te], p >= 0.5, zero_division=0)
        f1_tuned = None
        if tune:
            oof = np.zeros(len(tr))
            inner = StratifiedKFold(INNER, shuffle=True, random_state=0)
            for a, b in inner.split(np.zeros(len(tr)), ytr):
                m = peer.fit(rows_of(xtr, a), ytr[a])
                oof[b] = peer.proba(m, rows_of(xtr, b))
            cut = best_f1_threshold(oof, ytr)
            f1_tuned = f1_score(y[te], p >= cut, zero_division=0)
        out.append((f1_half, f1_tuned, roc_auc_score(y[te], p)))
    return out


def run_commentguard(cg, texts, ys, fold, flags, work):
    """Per label: per fold (F1 at its own threshold, None, ROC AUC), in our fold order."""
    path = Path(work) / "rows.csv"
    names = list(ys)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", *names, "fold"])
        for i, t in enumerate(texts):
            w.writerow([t, *[ys[n][i] for n in names], f"f{fold[i]}"])
    cmd = [cg, "cv", "--json", "--data", str(path), "--group-column", "fold"]
    for n in names:
        cmd += ["--label", n]
    cmd += flags
    rep = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    order = [int(g[0][1:]) for g in rep["fold_groups"]]
    out = {}
    for n in names:
        m = rep["labels"][n]
        per = [None] * len(order)
        for j, f in enumerate(order):
            per[f] = (m["f1"]["folds"][j], None, m["roc_auc"]["folds"][j])
        out[n] = per
    return out


def ms(values):
    v = [x for x in values if x is not None]
    if not v:
        return ""
    return f"{statistics.mean(v):.3f} ± {statistics.pstdev(v):.3f}"


def diff(ours, theirs):
    """Mean and sd of per-fold differences, and whether they are noise (|mean| <= 2 se)."""
    d = [a - b for a, b in zip(ours, theirs) if a is not None and b is not None]
    if len(d) < 2:
        return ""
    m, sd = statistics.mean(d), statistics.stdev(d)
    noise = abs(m) <= 2 * sd / math.sqrt(len(d))
    return f"{m:+.3f} ± {sd:.3f}{' (noise)' if noise else ''}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--commentguard", required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--rows", help="comma-separated prefixes of the rows to run (default all)")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"benches/peers/accuracy.py: skipped: no data at {args.data}")
        return 0
    cg = str(Path(args.commentguard).resolve())
    ours = [
        ("**commentguard, defaults (NB-LR, words 1-2)**", []),
        ("commentguard, `--char-ngrams 2-5`", ["--char-ngrams", "2-5"]),
        ("commentguard, `--head nb` (naive Bayes alone, the old default)", ["--head", "nb"]),
    ]
    peers = [count_nb(), tfidf_lr(), NbLr()] + ([FastText()] if fasttext else [])
    version = subprocess.run([cg, "--version"], capture_output=True, text=True).stdout.strip()
    here = Path(__file__).resolve().parent
    commit = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    if commit:
        version += f" at {commit}{' with uncommitted changes' if dirty else ''}"
    import sklearn

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    lines = [
        "# Accuracy: commentguard trained on each set against its peers, same rows, same folds, same run",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `benches/peers/run.sh --accuracy` "
        f"on {os.cpu_count()} cores of {cpu}; {version}; Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}" + ("" if fasttext else "; fastText could not be installed") + ".",
        "",
        "Cells are mean ± fold-to-fold standard deviation. commentguard's F1 is at the threshold each",
        "fold's model tuned on its own training rows (F1, out of fold); the peers' F1 is given at 0.5",
        "(what their `predict` does) and at a threshold tuned the same way as ours. The last two",
        "columns are commentguard's defaults minus the row's tool, fold by fold (mean ± sd of the",
        "differences; \"noise\" when the mean is within two standard errors of zero). How the peers",
        "are set up, and the folds: the docstring of `benches/peers/accuracy.py`.",
        "",
    ]
    if not fasttext:
        lines += ["fastText: not installed (see benches/peers/fasttext-requirements.txt); its rows are left out.", ""]
    sets = datasets(args.data)
    if args.rows:
        keep = args.rows.split(",")
        sets = {k: v for k, v in sets.items() if any(k.startswith(p) for p in keep)}
    for name, (texts, ys, fold, how) in sets.items():
        fold = np.array(fold)
        k = int(fold.max()) + 1
        multi = len(ys) > 1
        t0 = time.time()
        results = []  # (tool, {label: per-fold list})
        notes = []
        with tempfile.TemporaryDirectory() as work:
            for tool, flags in ours:
                results.append((tool, run_commentguard(cg, texts, ys, fold, flags, work)))
        for peer in peers:
            per = {}
            try:
                for label, y in ys.items():
                    per[label] = run_peer(peer, texts, np.array(y), fold, k, tune=not multi)
            except FitFailed as e:
                notes.append(f"{peer.name}: no figures on this row; a fit failed ({e}).")
                continue
            results.append((peer.name, per))
        n_pos = {l: sum(y) for l, y in ys.items()}
        section = len(lines)
        lines += [f"## {name}: {len(texts):,} rows, {how}", ""]
        lines += [f"Positives: {', '.join(f'{l} {p:,}' for l, p in n_pos.items())}. Run time {time.time() - t0:.0f} s.", ""]
        base = results[0][1]
        if multi:
            lines += ["| tool | mean ROC AUC of the labels | per label | defaults − tool (mean AUC, per fold) |", "|---|---|---|---|"]
            def fold_means(per):
                return [statistics.mean(per[l][f][2] for l in ys) for f in range(k)]
            for tool, per in results:
                means = fold_means(per)
                labels = ", ".join(f"{l} {statistics.mean(x[2] for x in per[l]):.3f}" for l in ys)
                d = "" if per is base else diff(fold_means(base), means)
                lines.append(f"| {tool} | {ms(means)} | {labels} | {d} |")
        else:
            (label,) = ys
            lines += [
                "| tool | F1 (own threshold: ours tuned, peers at 0.5) | F1, peers' threshold tuned as ours | ROC AUC | defaults − tool: F1 (tuned) | defaults − tool: ROC AUC |",
                "|---|---|---|---|---|---|",
            ]
            b = base[label]
            for tool, per in results:
                p = per[label]
                f1 = [x[0] for x in p]
                tuned = [x[1] for x in p]
                auc = [x[2] for x in p]
                if per is base:
                    dd = ("", "")
                else:
                    cmp_f1 = tuned if tuned[0] is not None else f1
                    dd = (diff([x[0] for x in b], cmp_f1), diff([x[2] for x in b], auc))
                lines.append(f"| {tool} | {ms(f1)} | {ms(tuned)} | {ms(auc)} | {dd[0]} | {dd[1]} |")
        lines.append("")
        lines += [n + "\n" for n in notes]
        print("\n".join(lines[section:]), flush=True)
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text)
    print(f"wrote {args.out}" if args.out else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
