#!/usr/bin/env python3
"""Zero-shot quality of a model (default: the embedded one) on the public data in ../shared/data.

Usage: benches/accuracy/zero_shot.py [--model PATH] [--holdout DIR]
Runs `commentguard evaluate --json` (release build) on each set, with the model's own
thresholds, and prints one Markdown table: F1, precision, recall at the model's threshold and
ROC AUC. Jigsaw's columns map onto Perspective-style labels (toxic -> toxicity, obscene ->
profanity, identity_hate -> identity_attack, severe_toxic -> severe_toxicity); a label the model
lacks is skipped with a note. With --holdout DIR, also the false-alarm rate of each label on the
rows of DIR's CSV files whose labels are all 0 (the corpus's held-back ordinary comments).
"""
import csv, glob, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
D = os.path.join(os.path.dirname(ROOT), "shared", "data")
BIN = os.environ.get("CG_BIN") or os.path.join(ROOT, "target", "release", "commentguard")
Y = f"{D}/youtube-dev"
JIG = f"{D}/jigsaw/train_PARTIAL_first2886rows.csv"
JIG_MAP = [("toxicity", "toxic"), ("severe_toxicity", "severe_toxic"), ("profanity", "obscene"),
           ("threat", "threat"), ("insult", "insult"), ("identity_attack", "identity_hate")]

def evaluate(model, data, text_col, label):
    cmd = [BIN, "evaluate", "--json", "--text-column", text_col, "--label", label]
    for d in data:
        cmd += ["--data", d]
    if model:
        cmd += ["--model", model]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr.strip()
    return list(json.loads(out.stdout)["labels"].values())[0], None

def labels_of(model):
    # The labels of a score, in the model's order.
    cmd = [BIN, "score", "x"] + (["--model", model] if model else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return list(json.loads(out.stdout.splitlines()[0])["scores"])
    except Exception:
        return None

def main(argv):
    model, holdout = None, None
    while argv:
        if argv[0] == "--model": model = argv[1]; argv = argv[2:]
        elif argv[0] == "--holdout": holdout = argv[1]; argv = argv[2:]
        else: print(__doc__); return 2
    if not os.path.exists(D):
        print(f"skipped: {D} is absent"); return 0
    labels = labels_of(model) or []
    tox = "toxicity" if "toxicity" in labels else "toxic"
    rows = [
        ("youtube (3 videos), spam", [f"{Y}/Youtube0{i}-{n}.csv" for i, n in ((1, "Psy"), (2, "KatyPerry"), (3, "LMFAO"))], "CONTENT", "spam=CLASS"),
        ("sms, spam", [f"{D}/sms/sms_spam.csv"], "text", "spam=label:spam"),
        (f"davidson, {tox} (class 0 or 1)", [f"{D}/davidson/labeled_data.csv"], "tweet", f"{tox}=class:0,1"),
    ]
    for ours, theirs in JIG_MAP:
        name = ours if ours in labels else ("toxic" if ours == "toxicity" and "toxic" in labels else None)
        if name:
            rows.append((f"jigsaw, {name} ({theirs})", [JIG], "comment_text", f"{name}={theirs}"))
        else:
            print(f"note: the model has no label for jigsaw's {theirs}")
    print("| data | F1 | precision | recall | ROC AUC |")
    print("|---|---|---|---|---|")
    aucs = []
    for name, data, col, label in rows:
        m, err = evaluate(model, data, col, label)
        if m is None:
            print(f"| {name} | error: {err[:80]} | | | |"); continue
        if name.startswith("jigsaw"):
            aucs.append(m["roc_auc"])
        print(f"| {name} | {m['f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['roc_auc']:.4f} |")
    if aucs:
        print(f"| jigsaw, mean ROC AUC of {len(aucs)} attributes | | | | {sum(aucs)/len(aucs):.4f} |")
    if holdout:
        files = sorted(glob.glob(os.path.join(holdout, "*.csv")))
        civil = []
        for f in files:
            with open(f, newline="", encoding="utf-8") as fh:
                for r in csv.DictReader(fh):
                    if all(r[k] == "0" for k in r if k not in ("id", "text")):
                        civil.append(r["text"])
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="") as tmp:
            w = csv.writer(tmp); w.writerow(["text"]); [w.writerow([t]) for t in civil]
        cmd = [BIN, "score", "--input", tmp.name] + (["--model", model] if model else [])
        out = subprocess.run(cmd, capture_output=True, text=True)
        os.unlink(tmp.name)
        flagged = {}
        for line in out.stdout.splitlines():
            for l in json.loads(line)["flagged"]:
                flagged[l] = flagged.get(l, 0) + 1
        print(f"\nheld-back ordinary comments: {len(civil)}; flagged per label: " +
              ", ".join(f"{l} {flagged.get(l, 0)} ({100 * flagged.get(l, 0) / max(1, len(civil)):.2f}%)" for l in labels))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
