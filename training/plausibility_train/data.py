"""Token streams for training, with the conditional-pretraining header on a fraction of examples."""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np

from .bpe import ByteLevelBPE

HEADER = "Tags: [{tags}]\nSynopsis: {synopsis}\n\n"
HEADER_TAGS_ONLY = "Tags: [{tags}]\n\n"
TAG_SEPARATOR = ", "


def format_header(tags: list[str], synopsis: str | None) -> str:
    t = TAG_SEPARATOR.join(tags)
    return HEADER.format(tags=t, synopsis=synopsis) if synopsis else HEADER_TAGS_ONLY.format(tags=t)


def _unit(key: str) -> float:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def example_text(doc: dict, copy: int, tag_fraction: float, synopsis_fraction: float = 0.7) -> str:
    """The training string for one copy of a document: with a header for `tag_fraction` of them."""
    if _unit(f"tag/{doc['id']}/{copy}") >= tag_fraction:
        return doc["text"]
    with_syn = _unit(f"syn/{doc['id']}/{copy}") < synopsis_fraction and doc.get("synopsis")
    return format_header(doc["tags"], doc["synopsis"] if with_syn else None) + doc["text"]


def build_stream(docs: list[dict], tok: ByteLevelBPE, tag_fraction: float, weights: dict[str, float] | None = None,
                 seed: int = 0, tag_fractions: dict[str, float] | None = None, synopsis_fraction: float = 0.7,
                 synopsis_fractions: dict[str, float] | None = None) -> np.ndarray:
    """Concatenate BOS + example for every (weighted) copy of every document, in a seeded order.

    `tag_fractions` and `synopsis_fractions` override the header fractions per source (for example more tags-only
    headers on Brown, so that the genre tag alone has to carry what the text is like)."""
    weights = weights or {}
    tag_fractions = tag_fractions or {}
    synopsis_fractions = synopsis_fractions or {}
    items: list[tuple[dict, int]] = []
    for d in docs:
        w = weights.get(d["source"], 1.0)
        copies = int(w) + (1 if _unit(f"w/{d['id']}") < w - int(w) else 0)
        items.extend((d, c) for c in range(copies))
    random.Random(seed).shuffle(items)
    out: list[int] = []
    for d, c in items:
        out.append(tok.eos_id)
        out.extend(tok.encode(example_text(d, c, tag_fractions.get(d["source"], tag_fraction),
                                           synopsis_fractions.get(d["source"], synopsis_fraction))))
    if not out:
        raise ValueError("the token stream is empty: no documents to train on")
    arr = np.asarray(out, dtype=np.uint16 if len(tok.vocab) <= 65535 else np.uint32)
    return arr


def conditioning_manifest(tag_fraction: float, tags: list[str], genres: list[str],
                          fractions_by_source: dict[str, float] | None = None) -> dict:
    m = {"header": HEADER, "header_tags_only": HEADER_TAGS_ONLY, "tag_separator": TAG_SEPARATOR,
         "fraction": tag_fraction, "genres": genres, "tags": sorted(set(tags))}
    if fractions_by_source:
        m["fraction_by_source"] = fractions_by_source
    return m


def save_stream(arr: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    arr.tofile(tmp)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps({"dtype": str(arr.dtype), "tokens": int(arr.size)}))


def load_stream(path: Path) -> np.ndarray:
    meta = json.loads(path.with_suffix(".json").read_text())
    return np.memmap(path, dtype=meta["dtype"], mode="r")
