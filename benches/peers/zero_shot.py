"""Zero-shot table: commentguard's embedded default model against alt-profanity-check, both as
shipped (no training on these files), on the ../shared/data sets, in one run.

Run it through `benches/peers/run.sh --zero-shot` (which installs alt-profanity-check in the
harness's virtual environment and builds commentguard), or directly:

    python benches/peers/zero_shot.py --data ../shared/data --commentguard target/release/commentguard

F1 is at each model's own threshold: 0.5 for alt-profanity-check (what its `predict` uses),
the model's `flagged` list for commentguard (its stored per-label thresholds). ROC AUC ranks by
each model's score. The table goes to --out (Markdown) and stdout.
"""

import argparse
import csv
import json
import subprocess
import tempfile
import time
from pathlib import Path

from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

# Jigsaw's columns and the commentguard labels each maps to, first present wins.
JIGSAW = [
    ("toxic", ["toxicity", "toxic"]),
    ("severe_toxic", ["severe_toxicity", "severe_toxic"]),
    ("obscene", ["profanity", "obscene"]),
    ("threat", ["threat"]),
    ("insult", ["insult"]),
    ("identity_hate", ["identity_attack", "identity_hate"]),
]
TOXIC = ["toxicity", "toxic"]

OVERLAP = (
    "alt-profanity-check was trained on Davidson's tweets and on the Jigsaw (Wikipedia talk page) "
    "training set these 2,886 rows come from: its figures there are on data it has seen"
)


def read_csv(path, encoding="utf-8"):
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        return list(csv.DictReader(fh))


def datasets(data):
    """Yields (name, texts, {column: [0/1]}, [(column, candidate labels)], overlap)."""
    yt = []
    for f in sorted((data / "youtube-dev").glob("Youtube0*.csv")):
        yt += read_csv(f)
    yield (
        f"youtube-dev, all 3 videos ({len(yt):,})",
        [r["CONTENT"] for r in yt],
        {"spam": [int(r["CLASS"]) for r in yt]},
        [("spam", ["spam"])],
        False,
    )
    sms = read_csv(data / "sms" / "sms_spam.csv")
    yield (
        f"sms ({len(sms):,})",
        [r["text"] for r in sms],
        {"spam": [int(r["label"] == "spam") for r in sms]},
        [("spam", ["spam"])],
        False,
    )
    jg = read_csv(data / "jigsaw" / "train_PARTIAL_first2886rows.csv")
    yield (
        f"jigsaw ({len(jg):,})",
        [r["comment_text"] for r in jg],
        {col: [int(r[col]) for r in jg] for col, _ in JIGSAW},
        JIGSAW,
        True,
    )
    dv = read_csv(data / "davidson" / "labeled_data.csv")
    yield (
        f"davidson ({len(dv):,})",
        [r["tweet"] for r in dv],
        {"offensive or hate": [int(r["class"] in ("0", "1")) for r in dv]},
        [("offensive or hate", TOXIC)],
        True,
    )


def commentguard_scores(binary, texts, workdir):
    """Scores texts with the embedded model through `score --input`; returns (scores per label,
    flagged set per label), each a dict of label -> list in input order."""
    path = Path(workdir) / "input.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        for i, t in enumerate(texts):
            w.writerow([i, t])
    out = subprocess.run(
        [binary, "score", "--input", str(path), "--id-column", "id", "--format", "jsonl"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(rows) != len(texts):
        raise SystemExit(f"commentguard scored {len(rows)} rows of {len(texts)}")
    rows.sort(key=lambda r: int(r["id"]))
    labels = list(rows[0]["scores"])
    scores = {lab: [r["scores"][lab] for r in rows] for lab in labels}
    flagged = {lab: [int(lab in r["flagged"]) for r in rows] for lab in labels}
    return scores, flagged


def metrics(y, score, pred):
    if len(set(y)) < 2:
        return None
    return (
        precision_score(y, pred, zero_division=0),
        recall_score(y, pred, zero_division=0),
        f1_score(y, pred, zero_division=0),
        roc_auc_score(y, score),
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--commentguard", required=True, help="the commentguard binary")
    ap.add_argument("--out", help="write the Markdown table here too")
    args = ap.parse_args()
    data = Path(args.data)
    for sub in ["youtube-dev", "sms", "jigsaw", "davidson"]:
        if not (data / sub).is_dir():
            print(f"zero_shot: skipped: no {data / sub} (the ../shared/data folder)")
            return

    import profanity_check
    from importlib.metadata import version

    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Zero-shot: the embedded default model against alt-profanity-check",
        "",
        f"Run {started} by `benches/peers/run.sh --zero-shot` (commentguard at {commit or 'unknown commit'}, "
        f"alt-profanity-check {version('alt-profanity-check')}). Both models as shipped, never trained on these "
        "files. F1 at each model's own threshold: commentguard's `flagged` list (its stored thresholds), "
        "alt-profanity-check's 0.5. Precision / recall / F1 / ROC AUC. † marks rows whose data "
        "alt-profanity-check was trained on.",
        "",
        "| data | label (ours) | commentguard P / R / F1 / AUC | alt-profanity-check P / R / F1 / AUC | better AUC |",
        "|---|---|---|---|---|",
    ]
    notes = []
    ours_auc, theirs_auc = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, texts, truth, mapping, overlap in datasets(data):
            cg_scores, cg_flagged = commentguard_scores(args.commentguard, texts, tmp)
            apc = [float(p) for p in profanity_check.predict_prob(texts)]
            apc_pred = [int(p >= 0.5) for p in apc]
            for col, candidates in mapping:
                label = next((c for c in candidates if c in cg_scores), None)
                y = truth[col]
                them = metrics(y, apc, apc_pred)
                fmt = lambda m: " / ".join(f"{v:.3f}" for v in m) if m else "—"
                if label is None:
                    notes.append(
                        f"{name} {col}: the model has no label {' or '.join(candidates)} "
                        f"(its labels: {', '.join(cg_scores)}); skipped for commentguard."
                    )
                    ours = None
                else:
                    ours = metrics(y, cg_scores[label], cg_flagged[label])
                shown = col if label is None or label == col else f"{col} → {label}"
                better = ""
                if ours and them:
                    better = "commentguard" if ours[3] > them[3] else "alt-profanity-check"
                if ours and name.startswith("jigsaw"):
                    ours_auc.append(ours[3])
                    theirs_auc.append(them[3])
                lines.append(
                    f"| {name}{' †' if overlap else ''} | {shown} | {fmt(ours)} | {fmt(them)} | {better} |"
                )
    if ours_auc:
        lines.append(
            f"| jigsaw † | mean ROC AUC over the {len(ours_auc)} label{'s' if len(ours_auc) > 1 else ''} "
            f"the model has | {sum(ours_auc) / len(ours_auc):.3f} | "
            f"{sum(theirs_auc) / len(theirs_auc):.3f} | |"
        )
    lines += [
        "",
        f"† {OVERLAP}. alt-profanity-check is an offensive-language model, not a spam model: its spam rows "
        "show what a site gets by installing it for spam, not a fault of its own.",
        "commentguard's ROC AUC ranks by the probabilities `score` prints (calibrated, printed in full), which "
        "rank comments as the log-odds `commentguard evaluate` ranks by.",
    ]
    lines += notes
    table = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(table)
    print(table)


if __name__ == "__main__":
    main()
