"""The corpus's word-preposition counts (plausibility_train.collocations): pairs inside a clause, lower-case words only,
and the file format the linter reads."""
from __future__ import annotations

import json
import lzma
import re
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from plausibility_train.collocations import DETERMINERS, Collocations, write_collocations  # noqa: E402


class CollocationsTests(unittest.TestCase):
    def test_determiners_are_the_linters(self):
        ts = (HERE.parents[1] / "src" / "core" / "lint" / "edits" / "wordClasses.ts").read_text(encoding="utf-8")
        m = re.search(r"export const DETERMINERS[^=]*= new Set\(\[([^\]]*)\]", ts)
        self.assertIsNotNone(m)
        self.assertEqual(DETERMINERS, frozenset(re.findall(r"'([a-z]+)'", m.group(1))))

    def test_counts_prepositions_and_determiners_after_a_word(self):
        c = Collocations()
        c.add_text("We went to the store. They went into a shop and went the distance. He told the story.")
        self.assertEqual(c.count["went"], 3)
        self.assertEqual(c.det_after["went"], 1)
        self.assertEqual(c.prep_after["went"], {"to": 1, "into": 1})
        self.assertEqual(c.prep_det_after["went"], {"to": 1, "into": 1})
        self.assertEqual(c.det_after["told"], 1)

    def test_punctuation_ends_a_clause_and_names_are_left_out(self):
        c = Collocations()
        c.add_text("He was interested, in a way. Went to Paris.")
        self.assertEqual(c.prep_after["interested"], {})
        self.assertNotIn("Went", c.count)
        self.assertEqual(c.count["went"], 0)

    def test_file_rows_list_pairs_above_the_minimum(self):
        c = Collocations()
        c.add_text("interested in the art. " * 5 + "interested on a whim. ")
        rows = {r.split("\t")[0]: r.split("\t") for r in c.rows(min_count=2, min_pair=2)}
        self.assertEqual(rows["interested"], ["interested", "6", "0", "in:5", "in:5"])

    def test_writes_the_file_and_skips_the_calibration_documents(self):
        with tempfile.TemporaryDirectory() as d:
            corpus = Path(d)
            first = json.dumps({"text": "listen to the band. " * 300}) + "\n"
            with lzma.open(corpus / "train-x-00.jsonl.xz", "wt", encoding="utf-8") as f:
                f.write(first)
                f.write(json.dumps({"text": "listen to the radio. " * 250}) + "\n")
            out = corpus / "collocations.tsv"
            res = write_collocations(corpus, out, skip_bytes=len(first.encode()), min_count=200)
            self.assertEqual(res["words"], 4)  # listen, to, the, radio: the first document was skipped
            self.assertIn("listen\t250\t0\tto:250\tto:250", out.read_text().splitlines())


if __name__ == "__main__":
    unittest.main()
