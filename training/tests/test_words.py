"""The corpus word list (plausibility_train.words): real words the dictionary lacks are listed; slips of a much more
frequent word, and names written with a capital, are not."""
from __future__ import annotations

import json
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from plausibility_train.words import corpus_words, count_words, write_corpus_words  # noqa: E402


def records(*texts: str) -> list[str]:
    return [json.dumps({"text": t}) for t in texts]


class CorpusWordsTests(unittest.TestCase):
    def setUp(self):
        text = ("The ridgeline trail follows the ridge with the team. " * 5 + "She wrote wirh care. " * 4
                + "It shouldn't rain with us. " * 300 + "It shouldnt rain. " * 4 + "We sailed to America and Europe. " * 6
                + "an america of the mind. " * 1)
        self.counts = count_words(records(text))

    def test_counts_only_words_mostly_written_in_lower_case(self):
        self.assertEqual(self.counts["ridgeline"], 5)
        self.assertNotIn("america", self.counts)  # "America" six times, "america" once
        self.assertEqual(self.counts["shouldn't"], 300)

    def test_lists_frequent_words_but_not_slips_of_a_much_more_frequent_word(self):
        words = corpus_words(self.counts, min_count=3, min_len=4)
        self.assertIn("ridgeline", words)
        self.assertNotIn("wirh", words)  # "with" is one edit away and far more frequent
        self.assertNotIn("shouldnt", words)  # one apostrophe away from "shouldn't"
        self.assertNotIn("rain", corpus_words(self.counts, min_count=400))
        self.assertEqual(words, sorted(words, key=lambda w: -self.counts[w]), "most frequent first")

    def test_writes_one_word_a_line(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "train.jsonl").write_text("\n".join(records("a ridgeline and a ridgeline and a ridgeline")) + "\n")
            out = Path(d) / "corpus_words.txt"
            info = write_corpus_words(Path(d), out, min_count=3)
            self.assertEqual(out.read_text().split(), ["ridgeline"])
            self.assertEqual(info["listed"], 1)


if __name__ == "__main__":
    unittest.main()
