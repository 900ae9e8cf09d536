"""Evaluation: perplexity, BLiMP accuracy (batched), surprisal calibration, conditioning check."""
from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

import numpy as np
import torch

from .bpe import ByteLevelBPE
from .data import format_header
from .model import GPT, sequence_logprobs


def load_any(model_path: Path, tokenizer: Path | None = None) -> tuple[GPT, ByteLevelBPE]:
    """A model folder (weights rebuilt from its ONNX file) or a training checkpoint."""
    if model_path.is_dir():
        from .rebuild import rebuild_from_onnx
        return rebuild_from_onnx(model_path), ByteLevelBPE.load(model_path / "tokenizer.json")
    from .export import load_checkpoint
    if tokenizer is None:
        raise ValueError("--tokenizer is required with a checkpoint")
    return load_checkpoint(model_path), ByteLevelBPE.load(Path(tokenizer) / "tokenizer.json")


def score_batched(model: GPT, seqs: list[list[int]], batch_tokens: int = 8192) -> list[float]:
    """Total log-probability of each id sequence (first id is the BOS context), batched by length."""
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out = [0.0] * len(seqs)
    i = 0
    with torch.inference_mode():
        while i < len(order):
            maxlen = len(seqs[order[min(len(order) - 1, i)]])
            n = max(1, batch_tokens // max(1, maxlen))
            chunk = order[i:i + n]
            maxlen = max(len(seqs[j]) for j in chunk)
            chunk = [j for j in chunk]
            lps = sequence_logprobs(model, [seqs[j] for j in chunk])
            for j, lp in zip(chunk, lps):
                out[j] = float(sum(lp))
            i += len(chunk)
    return out


def blimp(model: GPT, tok: ByteLevelBPE, folder: Path) -> dict:
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no *.jsonl files in {folder}")
    bos = model.cfg.bos_token_id
    per, total_ok, total = {}, 0, 0
    for f in files:
        pairs = [json.loads(l) for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
        seqs = []
        for p in pairs:
            seqs.append([bos] + tok.encode(p["sentence_good"]))
            seqs.append([bos] + tok.encode(p["sentence_bad"]))
        scores = score_batched(model, seqs)
        ok = sum(1 for k in range(len(pairs)) if scores[2 * k] > scores[2 * k + 1])
        per[f.stem] = ok / len(pairs)
        total_ok += ok
        total += len(pairs)
    return {"accuracy": total_ok / total, "pairs": total, "per_paradigm": per,
            "paradigm_mean": sum(per.values()) / len(per)}


def stream_perplexity(model: GPT, stream: np.ndarray, context: int, max_windows: int = 0) -> float:
    n = (len(stream) - 1) // context
    if max_windows:
        n = min(n, max_windows)
    tot, cnt = 0.0, 0
    with torch.inference_mode():
        for i in range(0, n, 16):
            idx = range(i, min(n, i + 16))
            win = torch.from_numpy(np.stack([np.asarray(stream[j * context:j * context + context + 1], dtype=np.int64)
                                             for j in idx]))
            tot += model(win[:, :-1], win[:, 1:]).item() * len(idx) * context
            cnt += len(idx) * context
    return math.exp(tot / cnt)


def source_perplexity(model: GPT, tok: ByteLevelBPE, docs_path: Path, max_docs: int = 200) -> dict[str, dict]:
    """Perplexity per source on held-out documents (plain text, no tag header): each document's first
    n_positions - 1 tokens scored after BOS, up to `max_docs` documents per source in file order."""
    from .corpus import load_split
    by: dict[str, list[list[int]]] = {}
    for d in load_split(docs_path):
        seqs = by.setdefault(d["source"], [])
        if len(seqs) < max_docs and d.get("text"):
            seqs.append([model.cfg.bos_token_id] + tok.encode(d["text"])[: model.cfg.n_positions - 1])
    out = {}
    with torch.inference_mode():
        for src, seqs in sorted(by.items()):
            tot, cnt = 0.0, 0
            for ids in seqs:
                if len(ids) < 2:
                    continue
                t = torch.tensor([ids], dtype=torch.long)
                tot += model(t[:, :-1], t[:, 1:]).item() * (len(ids) - 1)
                cnt += len(ids) - 1
            if cnt:
                out[src] = {"ppl": round(math.exp(tot / cnt), 2), "docs": len(seqs), "tokens": cnt}
    return out


def run_eval(args) -> dict:
    t0 = time.time()
    model, tok = load_any(Path(args.model), args.tokenizer)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    res: dict = {"params": model.num_params()}
    if args.corpus:
        from .data import load_stream
        for split in ("validation", "test"):
            p = Path(args.corpus) / f"{split}.bin"
            if p.exists():
                res[f"{split}_ppl"] = stream_perplexity(model, load_stream(p), model.cfg.n_positions)
    if getattr(args, "by_source", None):
        res["validation_ppl_by_source"] = source_perplexity(model, tok, Path(args.by_source) / "validation.jsonl")
    if args.blimp:
        res["blimp"] = blimp(model, tok, Path(args.blimp))
    if getattr(args, "cli_blimp", None):  # `plausibility eval blimp --format json` (onnxruntime-node, batched: faster)
        cli = json.loads(Path(args.cli_blimp).read_text())
        res["blimp"] = {"accuracy": cli["accuracy"], "pairs": cli["pairs"], "paradigm_mean": cli["macro_accuracy"],
                        "per_paradigm": {k: v["accuracy"] for k, v in cli["per_paradigm"].items()},
                        "scorer": "plausibility eval blimp (onnxruntime-node)"}
    res["eval_seconds"] = round(time.time() - t0, 1)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    return res


PERCENTILES = [50, 75, 90, 95, 98, 99, 99.9]
BUCKETS = [(1, 1), (2, 4), (5, 16), (17, None)]


def calibrate(folder: Path, corpus: Path, max_tokens: int = 200_000) -> dict:
    """Per-token surprisal (bits) on validation documents, scored after BOS, by position bucket."""
    from .corpus import load_split
    model, tok = load_any(folder)
    docs = load_split(corpus / "validation.jsonl")
    random.Random(0).shuffle(docs)
    seqs, n = [], 0
    for d in docs:
        ids = ([model.cfg.bos_token_id] + tok.encode(d["text"]))[: model.cfg.n_positions]
        seqs.append(ids)
        n += len(ids) - 1
        if n >= max_tokens:
            break
    surprisal, positions = [], []
    with torch.inference_mode():
        for i in range(0, len(seqs), 16):
            for lp in sequence_logprobs(model, seqs[i:i + 16]):
                surprisal.extend(-x / math.log(2) for x in lp)
                positions.extend(range(1, len(lp) + 1))
    s = np.asarray(surprisal)
    pos = np.asarray(positions)

    def pct(a):
        return {str(p): round(float(np.percentile(a, p)), 4) for p in PERCENTILES}

    stats = {"unit": "bits", "tokens": int(s.size), "source": "validation split, BOS + document, first 256 tokens",
             "percentiles": pct(s), "mean": round(float(s.mean()), 4), "std": round(float(s.std()), 4),
             "by_position": [{"from": a, "to": b, "tokens": int(((pos >= a) & (pos <= (b or 10**9))).sum()),
                              "percentiles": pct(s[(pos >= a) & (pos <= (b or 10**9))])} for a, b in BUCKETS]}
    (folder / "surprisal_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    return stats


def conditioning_check(folder: Path, corpus: Path, max_docs: int = 300) -> dict:
    """Held-out test documents: NLL(text | true tags) vs NLL(text | wrong tags), tags-only header,
    plus zero-shot Brown genre classification by argmax over genres of P(text | tags)."""
    from .corpus import BROWN_GENRES, load_split
    model, tok = load_any(folder)
    bos = model.cfg.bos_token_id
    docs = load_split(corpus / "test.jsonl")
    tag_sets = sorted({tuple(d["tags"]) for d in docs})
    rng = random.Random(0)
    rng.shuffle(docs)
    docs = docs[:max_docs]

    def head_len(tags: list[str]) -> int:
        return len(tok.encode(format_header(tags, None)))

    def cond_nll(tags: list[str], text: str, longest_head: int) -> float:
        """Mean NLL of the text's first tokens that fit after the longest header compared, so that every
        candidate is scored on the same tokens."""
        head = tok.encode(format_header(tags, None))
        body = tok.encode(text)[: model.cfg.n_positions - 1 - longest_head]
        lp = sequence_logprobs(model, [[bos] + head + body])[0]
        return -sum(lp[-len(body):]) / len(body)

    true_n, wrong_n, wins = [], [], 0
    with torch.inference_mode():
        for d in docs:
            wrong = list(rng.choice([t for t in tag_sets if list(t) != d["tags"]]))
            longest = max(head_len(d["tags"]), head_len(wrong))
            a, b = cond_nll(d["tags"], d["text"], longest), cond_nll(wrong, d["text"], longest)
            true_n.append(a)
            wrong_n.append(b)
            wins += a < b
        brown = [d for d in load_split(corpus / "test.jsonl") if d["source"] == "brown"]
        genres = [g.replace("_", " ") for g in BROWN_GENRES]
        correct = 0
        longest = max(head_len([g]) for g in genres)
        for d in brown:
            scores = [cond_nll([g], d["text"], longest) for g in genres]
            correct += genres[int(np.argmin(scores))] == d["tags"][0]
    counts = {}
    for d in brown:
        counts[d["tags"][0]] = counts.get(d["tags"][0], 0) + 1
    return {"docs": len(docs), "mean_nll_true_tags": float(np.mean(true_n)), "mean_nll_wrong_tags": float(np.mean(wrong_n)),
            "delta_nats_per_token": float(np.mean(wrong_n) - np.mean(true_n)), "true_better_fraction": wins / len(docs),
            "brown_test_docs": len(brown), "genre_accuracy": correct / max(1, len(brown)),
            "genre_majority_accuracy": max(counts.values()) / max(1, len(brown)) if counts else 0.0}
