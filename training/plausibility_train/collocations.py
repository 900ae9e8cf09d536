"""The corpus's word-preposition collocations: evidence for the linter's preposition patterns.

For each frequent word, how often the corpus follows it with each preposition ("interested in", rarely "interested
on"), with a determiner directly ("told the"), and with a preposition and then a determiner ("went to the", rarely
"went the"). The linter proposes a word's usual preposition where the written one is rare after it, and a missing one
where the word almost never takes a determiner straight after it; the model still decides each edit.

Counts stay inside a clause: punctuation ends a run of words. Lower-case words only. The file (collocations.tsv in
the model folder) has one word a line:  word <TAB> count <TAB> det_after <TAB> prep:n,... <TAB> prep:n,...  where the
first list counts "word prep" and the second "word prep det"; a preposition under `min_pair` is left out.
"""
from __future__ import annotations

import json
import lzma
import re
from collections import Counter, defaultdict
from pathlib import Path

# Prepositions and particles counted (a superset of the linter's preposition class).
PREPOSITIONS = frozenset("""in on at to for of with by from about into onto over under between among through during
since until towards toward against without within upon across after before around behind near off out up down
along beyond beside""".split())
# The linter's determiners (DETERMINERS in src/core/lint/edits/wordClasses.ts; a test keeps the two equal), so that
# "a determiner rarely follows the word" is counted over the words the missing-preposition pattern looks for.
DETERMINERS = frozenset("the a an this that these those my your his her its our their each every many several both few".split())
# A run of words inside one clause: punctuation and line breaks end it.
CLAUSE = re.compile(r"[^.,;:!?()\[\]{}\"“”‘«»\n—–]+")
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")


class Collocations:
    def __init__(self):
        self.count: Counter = Counter()
        self.det_after: Counter = Counter()
        self.prep_after: dict[str, Counter] = defaultdict(Counter)
        self.prep_det_after: dict[str, Counter] = defaultdict(Counter)

    def add_text(self, text: str) -> None:
        for clause in CLAUSE.findall(text):
            ws = WORD.findall(clause)
            n = len(ws)
            for i, w in enumerate(ws):
                if not w.islower():
                    continue
                self.count[w] += 1
                if i + 1 >= n:
                    continue
                nxt = ws[i + 1]
                if nxt in DETERMINERS:
                    self.det_after[w] += 1
                elif nxt in PREPOSITIONS:
                    self.prep_after[w][nxt] += 1
                    if i + 2 < n and ws[i + 2] in DETERMINERS:
                        self.prep_det_after[w][nxt] += 1

    def rows(self, min_count: int = 200, min_pair: int = 3):
        """Lines of the file, most frequent word first."""
        for w, n in self.count.most_common():
            if n < min_count:
                break
            if not w.isalpha():
                continue
            preps = ",".join(f"{p}:{c}" for p, c in self.prep_after[w].most_common() if c >= min_pair)
            pdets = ",".join(f"{p}:{c}" for p, c in self.prep_det_after[w].most_common() if c >= min_pair)
            yield f"{w}\t{n}\t{self.det_after[w]}\t{preps}\t{pdets}"


def shard_texts(path: Path, skip_bytes: int = 0):
    """The `text` of each record of an xz JSON Lines shard, after its first `skip_bytes` decompressed bytes."""
    seen = 0
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            seen += len(line.encode("utf-8"))
            if seen <= skip_bytes:
                continue
            try:
                yield json.loads(line)["text"]
            except (ValueError, KeyError):
                continue


def write_collocations(corpus: Path, out: Path, skip_bytes: int = 6_000_000, min_count: int = 200) -> dict:
    """Counts the train shards of `corpus`. The first `skip_bytes` of each -00 shard hold the documents the margins are
    calibrated on as clean prose (scripts/edit-gains.ts), so they are left out of the counts."""
    shards = sorted(corpus.glob("train-*.jsonl.xz"))
    if not shards:
        raise FileNotFoundError(f"no train-*.jsonl.xz shards in {corpus}")
    col = Collocations()
    for s in shards:
        for text in shard_texts(s, skip_bytes if s.name.endswith("-00.jsonl.xz") else 0):
            col.add_text(text)
    lines = list(col.rows(min_count=min_count))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"shards": len(shards), "tokens": sum(col.count.values()), "words": len(lines), "out": str(out)}
