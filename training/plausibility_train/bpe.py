"""Byte-level BPE: trainer, encoder and Hugging Face tokenizer.json writer.

Matches the `tokenizers` ByteLevel pre-tokenizer (GPT-2 split regex, no prefix space) and
BPE model, so @huggingface/tokenizers in TypeScript encodes exactly as `encode` does here.
"""
from __future__ import annotations

import heapq
import json
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import regex

SPLIT_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_SPLIT = regex.compile(SPLIT_PATTERN)
EOS = "<|endoftext|>"


@lru_cache(maxsize=1)
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def pretokenize(text: str) -> list[str]:
    b2u = bytes_to_unicode()
    return ["".join(b2u[b] for b in piece.encode("utf-8")) for piece in _SPLIT.findall(text)]


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 2) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Learn merges until the vocabulary (special + 256 bytes + merges) reaches vocab_size.

    Ties break on the lexicographically smallest pair, so training is deterministic."""
    words = Counter()
    for t in texts:
        words.update(pretokenize(t))
    if not words:
        raise ValueError("cannot train a tokenizer on an empty corpus")
    b2u = bytes_to_unicode()
    vocab: dict[str, int] = {EOS: 0}
    for b in range(256):
        vocab[b2u[b]] = len(vocab)
    word_syms = [list(w) for w in words]
    freqs = list(words.values())
    pair_counts: Counter = Counter()
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, syms in enumerate(word_syms):
        for a, b in zip(syms, syms[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_counts.get(pair, 0)
        if c != -negc:
            if c > 0:
                heapq.heappush(heap, (-c, pair))
            continue
        if c < min_frequency:
            break
        a, b = pair
        new = a + b
        merges.append(pair)
        vocab.setdefault(new, len(vocab))
        changed: dict[tuple[str, str], int] = {}
        for i in list(where.pop(pair, ())):
            syms = word_syms[i]
            f = freqs[i]
            for x, y in zip(syms, syms[1:]):
                pair_counts[(x, y)] -= f
                changed[(x, y)] = 1
            out: list[str] = []
            j = 0
            while j < len(syms):
                if j + 1 < len(syms) and syms[j] == a and syms[j + 1] == b:
                    out.append(new)
                    j += 2
                else:
                    out.append(syms[j])
                    j += 1
            word_syms[i] = out
            for x, y in zip(out, out[1:]):
                pair_counts[(x, y)] += f
                where[(x, y)].add(i)
                changed[(x, y)] = 1
        pair_counts.pop(pair, None)
        for p in changed:
            cnt = pair_counts.get(p, 0)
            if cnt > 0:
                heapq.heappush(heap, (-cnt, p))
            else:
                pair_counts.pop(p, None)
    return vocab, merges


class ByteLevelBPE:
    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]]):
        self.vocab = vocab
        self.merges = merges
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.inv = {i: s for s, i in vocab.items()}
        self.eos_id = vocab[EOS]
        self._cache: dict[str, list[int]] = {}
        u2b = {u: b for b, u in bytes_to_unicode().items()}
        self._u2b = u2b

    @classmethod
    def load(cls, path: Path) -> "ByteLevelBPE":
        tj = json.loads(Path(path).read_text(encoding="utf-8"))
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in tj["model"]["merges"]]
        vocab = dict(tj["model"]["vocab"])
        for t in tj.get("added_tokens", []):
            vocab[t["content"]] = t["id"]
        return cls(vocab, merges)

    def _bpe(self, word: str) -> list[int]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        syms = list(word)
        while len(syms) > 1:
            best = None
            for k in range(len(syms) - 1):
                r = self.ranks.get((syms[k], syms[k + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, k)
            if best is None:
                break
            k = best[1]
            syms[k:k + 2] = [syms[k] + syms[k + 1]]
        ids = [self.vocab[s] for s in syms]
        if len(self._cache) < 500_000:
            self._cache[word] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for w in pretokenize(text):
            ids.extend(self._bpe(w))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        out = bytearray()
        for i in ids:
            s = self.inv[i]
            if s == EOS:
                out.extend(s.encode())
            else:
                out.extend(self._u2b[c] for c in s)
        return out.decode("utf-8", errors="replace")

    def save(self, folder: Path, model_max_length: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        model_vocab = {s: i for s, i in self.vocab.items() if s != EOS}
        tok = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": self.eos_id, "content": EOS, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True}],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": dict(sorted(model_vocab.items(), key=lambda kv: kv[1])),
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }
        (folder / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
        cfg = {"tokenizer_class": "GPT2Tokenizer", "bos_token": EOS, "eos_token": EOS, "unk_token": EOS,
               "add_bos_token": False, "add_prefix_space": False, "clean_up_tokenization_spaces": False,
               "model_max_length": model_max_length, "vocab_size": len(self.vocab)}
        (folder / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
        (folder / "special_tokens_map.json").write_text(json.dumps(
            {"bos_token": EOS, "eos_token": EOS, "unk_token": EOS}, indent=2) + "\n", encoding="utf-8")
