"""The toxicity head's contrast sentences (training/toxicity/make_contrast.py): the committed CSV is what the generator
writes, each label is well represented, no line of the dev or test lists is among them (compared without case,
punctuation or apostrophes), and "a" or "an" fits the next word."""
from __future__ import annotations

import csv
import re
import importlib.util
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOX = HERE.parent / "toxicity"
ROOT = HERE.parents[1]


def load_generator():
    spec = importlib.util.spec_from_file_location("make_contrast", TOX / "make_contrast.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MC = load_generator()


def lines(path: Path) -> set[str]:
    return {MC.key(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip() and not l.startswith("#")}


class ContrastTests(unittest.TestCase):
    def test_the_committed_csv_is_what_the_generator_writes(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "contrast.csv"
            subprocess.run([sys.executable, str(TOX / "make_contrast.py"), "--out", str(out)], check=True, capture_output=True)
            self.assertEqual(out.read_text(encoding="utf-8"), (TOX / "contrast.csv").read_text(encoding="utf-8"))

    def test_rows_are_labelled_matched_and_apart_from_the_dev_and_test_lists(self):
        with open(TOX / "contrast.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(set(rows[0]), {"text", "label", "source"})
        self.assertEqual({r["source"] for r in rows}, {"contrast"})
        toxic = sum(r["label"] == "toxic" for r in rows)
        benign = sum(r["label"] == "non-toxic" for r in rows)
        self.assertEqual(toxic + benign, len(rows))
        self.assertGreater(min(toxic, benign), 0.35 * len(rows))
        texts = [MC.key(r["text"]) for r in rows]
        self.assertEqual(len(texts), len(set(texts)), "a sentence is repeated")
        held = set().union(*(lines(TOX / f) for f in ("dev-insults.txt", "dev-polite.txt", "dev-hate.txt",
                                                        "dev-group-benign.txt")), lines(ROOT / "bench" / "data" / "insults.txt"))
        self.assertFalse(held & set(texts))
        # "You're a dead man!" against the dev list's "You're a dead man.": the same line.
        self.assertEqual(MC.key("You're a dead man!"), MC.key("You’re a dead man."))

    def test_every_group_of_people_is_named_on_both_sides(self):
        with open(TOX / "contrast.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        says = lambda g, text: re.search(rf"\b{re.escape(g)}\b", text, re.I)  # "men" is not in "women"
        named = lambda label: {g for g in MC.PEOPLE for r in rows if r["label"] == label and says(g, r["text"])}
        self.assertEqual(named("toxic"), set(MC.PEOPLE))
        self.assertEqual(named("non-toxic"), set(MC.PEOPLE))

    def test_particle_verbs_take_their_object_inside(self):
        self.assertEqual(MC.fill(["I will {v} you"], "v", ["hunt % down", "call"]), ["I will hunt you down", "I will call you"])

    def test_articles_fit_the_next_sound(self):
        self.assertEqual(MC.with_articles("You are a idiot and a honest liar, a useless one"),
                         "You are an idiot and an honest liar, a useless one")
        with open(TOX / "contrast.csv", encoding="utf-8", newline="") as f:
            texts = [r["text"] for r in csv.DictReader(f)]
        self.assertFalse([t for t in texts if MC.with_articles(t) != t])


if __name__ == "__main__":
    unittest.main()
