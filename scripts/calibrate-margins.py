#!/usr/bin/env python3
"""Picks one verification margin (bits) per edit kind from scripts/edit-gains.ts's output.

Coordinate search: maximise sentence-level F0.5 on the gec-dev pairs, subject to a false-alarm rate on their
corrections and a flag rate on clean training-shard documents (per 1,000 words; each entry of `clean` is a sentence
with its best gain per kind, or the words of a document's sentences without candidates). Writes verify_margins.json.
usage: calibrate-margins.py GAINS.json OUT.json [--far 0.08] [--clean-per-1000 0.6] [--held-out] [--floor KIND=BITS ...]
                            [--only KIND ... --hold MARGINS.json]
With --only, just those kinds are fitted and every other margin is held at its value in --hold: a new kind is added to
a calibrated set without refitting the rest.
"""
import argparse
import json

import numpy as np

KINDS = ["spelling", "word-choice", "inflection", "agreement", "noun-number", "article", "preposition", "function-word", "confusable", "missing-word", "missing-preposition", "extra-word", "repeated-word", "word-order", "adverb-position", "capitalization"]
# 2 .. 24 bits: a fix that makes the sentence 2^24 (16 million) times more likely is sure enough for any kind.
GRID = [x / 2 for x in range(4, 49)]
# Kinds the data never proposes keep the engine's defaults (src/core/lint/edits/verify.ts DEFAULT_MARGINS).
DEFAULTS = {"spelling": 6, "word-choice": 10, "inflection": 10, "agreement": 10, "noun-number": 10, "article": 6, "preposition": 10, "function-word": 10, "confusable": 6, "missing-word": 10, "missing-preposition": 10, "extra-word": 16, "repeated-word": 5, "word-order": 10, "adverb-position": 10,
            "capitalization": 4}


def table(rows):
    """Best gain of each kind (rows) as a [len(rows), len(KINDS)] array; -inf where a kind proposed nothing."""
    return np.array([[g.get(k, -np.inf) for k in KINDS] for g in rows], dtype=float).reshape(len(rows), len(KINDS))


def prepare(raw):
    """The gains file as arrays: sources and corrections of the pairs, clean entries and their words."""
    return {"S": table([p["source"] for p in raw["pairs"]]), "C": table([p["correction"] for p in raw["pairs"]]),
            "G": table([c["gains"] for c in raw["clean"]]), "W": np.array([c["words"] for c in raw["clean"]], dtype=float)}


def clean_subset(data, idx):
    return {**data, "G": data["G"][idx], "W": data["W"][idx]}


def vec(m):
    return np.array([m[k] for k in KINDS])


def metrics(data, m):
    v = vec(m)
    n = max(1, len(data["S"]))
    rec = float((data["S"] > v).any(axis=1).sum()) / n
    far = float((data["C"] > v).any(axis=1).sum()) / n
    prec = rec / (rec + far) if rec + far else 0.0
    f05 = 1.25 * prec * rec / (0.25 * prec + rec) if prec + rec else 0.0
    per1000 = 1000 * float((data["G"] > v).any(axis=1).sum()) / max(1.0, float(data["W"].sum()))
    return {"sentence_recall": rec, "false_alarm_rate": far, "sentence_precision": prec, "sentence_f05": f05,
            "clean_flags_per_1000_words": per1000}


def kind_rates(data, k, v):
    """False-alarm rate on corrections and clean flags per 1,000 words of one kind at margin v."""
    j = KINDS.index(k)
    far = float((data["C"][:, j] > v).sum()) / max(1, len(data["C"]))
    return far, 1000 * float((data["G"][:, j] > v).sum()) / max(1.0, float(data["W"].sum()))


def fit(data, far, budget, floor=None, only=None, held=None):
    """Margins that maximise F0.5 on the pairs with at most `far` false alarms on the corrections and `budget` clean
    flags per 1,000 words, none below its kind's `floor`. With `only`, just those kinds move; the rest keep `held`."""
    floor = floor or {}
    free = list(only or KINDS)
    # Greedy allocation of the clean-prose budget: start with every margin at its highest, then repeatedly take the
    # single margin change with the best F0.5 gain per clean flag added, while both constraints hold.
    ok = lambda r: r["false_alarm_rate"] <= far and r["clean_flags_per_1000_words"] <= budget
    m = {k: GRID[-1] if k in free else held[k] for k in KINDS}
    cur = metrics(data, m)
    while True:
        best = None
        for k in free:
            for v in GRID:
                if v >= m[k] or v < floor.get(k, 0):
                    continue
                r = metrics(data, {**m, k: v})
                gain = r["sentence_f05"] - cur["sentence_f05"]
                if not ok(r) or gain <= 1e-9:
                    continue
                cost = max(0.0, r["clean_flags_per_1000_words"] - cur["clean_flags_per_1000_words"]) + 1e-3
                score = (gain / cost, v)
                if best is None or score > best[0]:
                    best = (score, k, v, r)
        if best is None:
            break
        _, k, v, cur = best
        m[k] = v
    # Then lower each margin as far as the kind's own false alarms allow (at most 1% of the corrections and 0.1 per
    # 1,000 clean words for that kind alone) while the overall constraints hold: a fix the evidence does not argue
    # against is not held back for want of dev examples. The kind that adds the fewest clean flags goes first, so
    # that the order of KINDS does not decide which kind the budget goes to.
    pending = list(free)
    while pending:
        best = None
        for k in pending:
            for v in sorted(GRID):
                if v < floor.get(k, 0):
                    continue
                if v >= m[k]:
                    break
                own = kind_rates(data, k, v)
                r = metrics(data, {**m, k: v})
                if ok(r) and own[0] <= 0.01 and own[1] <= 0.1:
                    if best is None or r["clean_flags_per_1000_words"] < best[0]:
                        best = (r["clean_flags_per_1000_words"], k, v)
                    break
        if best is None:
            break
        _, k, v = best
        m[k] = v
        pending.remove(k)
    return m


def refine(data, m, far, budget, floor=None, only=None):
    """Local search from a fitted set: moves of one margin to any grid value, or of two margins one step each way,
    taken while one raises F0.5 within the constraints. The greedy fit only ever lowers margins, so it cannot trade
    one kind's flags for another's. With `only`, just those kinds move."""
    floor = floor or {}
    free = list(only or KINDS)
    ok = lambda r: r["false_alarm_rate"] <= far and r["clean_flags_per_1000_words"] <= budget
    step = GRID[1] - GRID[0]
    on_grid = lambda k, v: GRID[0] <= v <= GRID[-1] and v >= floor.get(k, 0)
    m = dict(m)
    best = metrics(data, m)["sentence_f05"]
    while True:
        moves = [{k: v} for k in free for v in GRID if v != m[k] and on_grid(k, v)]
        moves += [{a: m[a] + da, b: m[b] + db} for i, a in enumerate(free) for b in free[i + 1:] for da in (-step, step)
                  for db in (-step, step) if on_grid(a, m[a] + da) and on_grid(b, m[b] + db)]
        found = None
        for mv in moves:
            r = metrics(data, {**m, **mv})
            if ok(r) and r["sentence_f05"] > best + 1e-9:
                best, found = r["sentence_f05"], mv
        if found is None:
            return m
        m.update(found)


def halves(clean):
    """Indices of the clean entries in two halves by whole documents (a document ends with its entry of no gains)."""
    parts, doc = ([], []), []
    for i, c in enumerate(clean):
        doc.append(i)
        if not c["gains"]:
            parts[len(parts[0]) > len(parts[1])].extend(doc)
            doc = []
    parts[0].extend(doc)
    return parts


def held_out_budget(raw, data, far, target, floor=None, only=None, held=None):
    """The largest budget whose margins, fitted on one half of the clean documents, flag at most `target` per 1,000
    words of the other half (both ways round): the greedy fit spends its budget where the sample happens to be
    quiet, so a margin set must be judged on documents it did not see."""
    a, b = halves(raw["clean"])
    best = target / 2
    for budget in [x / 100 for x in range(int(target * 50), int(target * 100) + 1, 5)]:
        worst = 0.0
        for fit_on, judge_on in ((a, b), (b, a)):
            m = fit(clean_subset(data, fit_on), far, budget, floor, only, held)
            worst = max(worst, metrics(clean_subset(data, judge_on), m)["clean_flags_per_1000_words"])
        if worst <= target:
            best = budget
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("gains")
    ap.add_argument("out")
    ap.add_argument("--far", type=float, default=0.08)
    ap.add_argument("--clean-per-1000", type=float, default=0.6)
    ap.add_argument("--held-out", action="store_true",
                    help="hold --clean-per-1000 on documents the fit did not see (picks the fitting budget)")
    ap.add_argument("--floor", nargs="*", default=[], metavar="KIND=BITS",
                    help="lowest margin a kind may get: where sentence-level dev hits reward a kind whose fixes are "
                         "wrong (a swap on a sentence with some other error), its clean-prose flags show it")
    ap.add_argument("--only", nargs="*", default=None, metavar="KIND", help="fit just these kinds (with --hold)")
    ap.add_argument("--hold", default=None, metavar="MARGINS.json", help="the margins the other kinds keep (with --only)")
    a = ap.parse_args()
    floor = {k: float(v) for k, v in (f.split("=", 1) for f in a.floor)}
    unknown = set(floor) - set(KINDS)
    if unknown:
        ap.error(f"unknown kind(s) for --floor: {', '.join(sorted(unknown))}; kinds are {', '.join(KINDS)}")
    if (a.only is None) != (a.hold is None) or set(a.only or []) - set(KINDS):
        ap.error(f"--only KIND ... and --hold MARGINS.json go together; kinds are {', '.join(KINDS)}")
    held = None
    if a.hold:
        held = {**DEFAULTS, **json.load(open(a.hold))["margins"]}
    raw = json.load(open(a.gains))
    data = prepare(raw)
    budget = held_out_budget(raw, data, a.far, a.clean_per_1000, floor, a.only, held) if a.held_out else a.clean_per_1000
    m = refine(data, fit(data, a.far, budget, floor, a.only, held), a.far, budget, floor, a.only)
    for k in KINDS:
        seen = any(k in p["source"] or k in p["correction"] for p in raw["pairs"]) or any(k in c["gains"] for c in raw["clean"])
        if not seen and (a.only is None or k in a.only):
            m[k] = DEFAULTS[k]
    r = metrics(data, m)
    out = {"margins": m, "unit": "bits",
           "calibration": {"dev": "gec-dev jfleg-dev pairs (sources and first corrections)",
                           "clean": f"{int(data['W'].sum())} words of prose corpus train-* documents, linted whole",
                           "constraints": {"false_alarm_rate": a.far, "clean_flags_per_1000_words": a.clean_per_1000,
                                           **({"held_out": True, "fitting_budget": budget} if a.held_out else {}),
                                           **({"floors": floor} if floor else {}),
                                           **({"fitted": a.only, "held": a.hold} if a.only else {})},
                           "pairs": len(raw["pairs"]), **{k: round(v, 4) for k, v in r.items()}}}
    json.dump(out, open(a.out, "w"), indent=1)
    try:
        print(json.dumps(out, indent=1))
    except BrokenPipeError:
        pass


if __name__ == "__main__":
    main()
