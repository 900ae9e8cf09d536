"""The model's corpus words: evidence that a word the dictionary lacks is still a real word.

A word is listed when the training corpus uses it often (`min_count` times or more) and no word one edit away is
`typo_ratio` times more frequent: "ridgeline" and "roadmap" are listed, "wirh" (beside "with") and "shouldnt" (beside
"shouldn't") are not, however often the slip recurs. Lowercase letters only, at least `min_len` of them; most frequent
first. The linter reads the list from the model folder (corpus_words.txt); a model without one relies on the
dictionary and its vocabulary.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def count_words(lines) -> Counter:
    """Counts of the words of the `text` of JSON Lines records that are mostly written in lower case: a name, mostly
    written with a capital, is left out ("america", "english" are not words to accept in lower case)."""
    lower: Counter = Counter()
    every: Counter = Counter()
    for line in lines:
        for w in WORD.findall(json.loads(line)["text"].replace("\u2019", "'")):
            lw = w.lower()
            every[lw] += 1
            if w == lw:
                lower[lw] += 1
    return Counter({w: n for w, n in lower.items() if 2 * n > every[w]})


def edits1(w: str):
    """Every string one deletion, transposition, substitution or insertion away."""
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]
            for ch in LETTERS:
                if ch != b[0]:
                    yield a + ch + b[1:]
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]
        for ch in LETTERS + "'":
            yield a + ch + b


def corpus_words(counts: Counter, min_count: int = 20, min_len: int = 4, typo_ratio: float = 50.0) -> list[str]:
    """Words used at least `min_count` times with no neighbour one edit away `typo_ratio` times as frequent."""
    out = []
    for w, n in counts.most_common():
        if n < min_count:
            break
        if len(w) < min_len or not w.isalpha():
            continue
        if any(counts.get(e, 0) >= typo_ratio * n for e in edits1(w)):
            continue
        out.append(w)
    return out


def write_corpus_words(corpus: Path, out: Path, min_count: int = 20) -> dict:
    with open(corpus / "train.jsonl", encoding="utf-8") as f:
        counts = count_words(f)
    words = corpus_words(counts, min_count=min_count)
    out.write_text("\n".join(words) + "\n", encoding="utf-8")
    return {"distinct": len(counts), "listed": len(words), "min_count": min_count, "out": str(out)}
