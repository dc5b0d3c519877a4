#!/usr/bin/env python3
"""Cross-validates commentguard options on the public data rows of README's Accuracy table.

Usage: benches/accuracy/sweep.py [--rows yt,sms,dav,jig,jig6] NAME='--flags ...' [NAME='...' ...]
Runs `commentguard cv --json` (release build) per row and configuration and prints F1 / ROC AUC
(mean and fold-to-fold std) per row, plus each configuration's mean rank over the rows.
Data is read from ../shared/data (the folder beside the repository); rows whose data is absent
are skipped with a note.
"""
import json, os, shlex, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
D = os.path.join(os.path.dirname(ROOT), "shared", "data")
BIN = os.environ.get("CG_BIN") or os.path.join(ROOT, "target", "release", "commentguard")
Y = f"{D}/youtube-dev"
JIG = f"{D}/jigsaw/train_PARTIAL_first2886rows.csv"
ROWS = {
    "yt": (f"--data {Y}/Youtube01-Psy.csv --data {Y}/Youtube02-KatyPerry.csv --data {Y}/Youtube03-LMFAO.csv --text-column CONTENT --label spam=CLASS --group-by-file", f"{Y}/Youtube01-Psy.csv"),
    "sms": (f"--data {D}/sms/sms_spam.csv --label spam=label:spam --folds 5", f"{D}/sms/sms_spam.csv"),
    "dav": (f"--data {D}/davidson/labeled_data.csv --text-column tweet --label toxic=class:0,1 --folds 5", f"{D}/davidson/labeled_data.csv"),
    "jig": (f"--data {JIG} --text-column comment_text --label toxic --folds 5", JIG),
    "jig6": (f"--data {JIG} --text-column comment_text --folds 5 --label toxic --label severe_toxic --label obscene --label threat --label insult --label identity_hate", JIG),
}

def run(row, flags):
    args, probe = ROWS[row]
    if not os.path.exists(probe):
        return None
    cmd = [BIN, "cv", "--json"] + shlex.split(args) + shlex.split(flags)
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return ("error", out.stderr.strip())
    rep = json.loads(out.stdout)
    labels = rep["labels"]
    if row == "jig6":
        aucs = [v["roc_auc"]["mean"] for v in labels.values()]
        return (None, sum(aucs) / len(aucs), None, None)
    (name, v), = labels.items()
    return (v["f1"]["mean"], v["roc_auc"]["mean"], v["f1"]["std"], v["roc_auc"]["std"])

def main(argv):
    rows = list(ROWS)
    if argv and argv[0] == "--rows":
        rows = argv[1].split(","); argv = argv[2:]
    configs = [a.split("=", 1) for a in argv]
    if not os.path.exists(D):
        print(f"skipped: {D} is absent"); return 0
    results = {}
    for name, flags in configs:
        for row in rows:
            results[(name, row)] = run(row, flags)
    print("| config | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name, flags in configs:
        cells = []
        for row in rows:
            r = results[(name, row)]
            if r is None: cells.append("absent")
            elif r[0] == "error": cells.append("error: " + r[1][:60])
            elif r[0] is None: cells.append(f"{r[1]:.4f}")
            else: cells.append(f"{r[0]:.3f}±{r[2]:.3f} / {r[1]:.4f}±{r[3]:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    # Mean rank per configuration, by ROC AUC then F1 (lower is better), and worst rank.
    if len(configs) > 1:
        ranks = {n: [] for n, _ in configs}
        for row in rows:
            ok = [(n, results[(n, row)]) for n, _ in configs if results[(n, row)] and results[(n, row)][0] != "error"]
            for key in (1, 0):
                vals = [(n, r[key]) for n, r in ok if r[key] is not None]
                order = sorted(vals, key=lambda x: -x[1])
                for i, (n, _) in enumerate(order):
                    ranks[n].append(i + 1)
        print()
        for n, rs in sorted(ranks.items(), key=lambda x: sum(x[1]) / max(1, len(x[1]))):
            if rs:
                print(f"{n}: mean rank {sum(rs)/len(rs):.2f}, worst {max(rs)}")
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
