"""Multi-task tuning: the language model keeps training on prose while a linear toxicity probe over its pooled hidden
states trains with it, so that its hidden states come to carry what a linear head needs.

The probe is thrown away afterwards: the shipped head is fitted again, frozen model, by `discrim train --recipe
toxicity`. The rows are the recipe's own (`discrim train --recipe toxicity --dump-rows`), token ids and hash split
included, so that the tuning never sees a dev or test row.
"""
from __future__ import annotations

import copy
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .bpe import ByteLevelBPE
from .corpus import chunk_doc, read_shared_corpus
from .data import build_stream
from .model import GPT



def pooled_features(model: GPT, seqs: list[list[int]], bos: int) -> torch.Tensor:
    """The recipe's features: the mean over a text's tokens (BOS excluded) of the token embeddings, the residual stream
    after every inner block and the final hidden state, concatenated ([n, (layers + 1) * d])."""
    n = len(seqs)
    T = 1 + max(len(s) for s in seqs)
    ids = torch.full((n, T), bos, dtype=torch.long)
    mask = torch.zeros((n, T))
    for r, s in enumerate(seqs):
        ids[r, 1:1 + len(s)] = torch.tensor(s, dtype=torch.long)
        if s:
            mask[r, 1:1 + len(s)] = 1
        else:
            mask[r, 0] = 1  # an empty text reads BOS's state, as the engine does
    middle: list[torch.Tensor] = []
    last, _ = model.hidden(ids, middle=middle)
    w = (mask / mask.sum(1, keepdim=True)).unsqueeze(-1)
    emb = model.wte(ids)
    parts = [emb] + middle + [last]
    return torch.cat([(p.float() * w).sum(1) for p in parts], dim=1)


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]))
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def lm_streams(corpus: Path, tok: ByteLevelBPE, train_words: int, val_words: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Prose token streams with the pretraining headers (the conditioning fraction 0.5), from the train and valid
    shards (each source capped, in shard order)."""
    def docs(split: str, words: int) -> list[dict]:
        sources = ["enwiki", "enwiki_recent", "simplewiki", "wikinews", "gutenberg", "onestopenglish"]
        out = []
        for d in read_shared_corpus(corpus, split, {s: words // len(sources) for s in sources}):
            for p in chunk_doc(d):
                out.append({"id": p.id, "source": p.source, "tags": p.tags, "synopsis": p.synopsis, "text": p.text})
        return out
    return (build_stream(docs("train", train_words), tok, 0.5, seed=seed),
            build_stream(docs("valid", val_words), tok, 0.5, seed=seed))


def tune(model: GPT, rows: list[dict], lm_train: np.ndarray, lm_val: np.ndarray, bos: int, *, steps: int,
         lr: float = 2e-4, tox_batch: int = 64, lm_batch: int = 4, context: int = 256, cls_weight: float = 1.0,
         head_lr: float = 2e-3, lm_loss: str = "kl", seed: int = 0, log=print, eval_every: int = 100,
         time_budget_s: float | None = None) -> dict:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    # lm_loss "kl": the language-model term is the divergence from the model as it was on the same prose (the
    # teacher), which pulls every next-token distribution back; "ce" fits the prose itself. Neither holds the model
    # in place: BLiMP-dev fell 0.010 in 2,000 KL steps and 0.012 in 2,200 CE steps.
    teacher = copy.deepcopy(model).eval() if lm_loss == "kl" else None
    if teacher is not None:
        teacher.requires_grad_(False)
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    d = model.cfg.n_embd
    head = nn.Linear((model.cfg.n_layer + 1) * d, 1)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    # Class balance: positives weighted so that both classes carry the same total of the rows' own weights (the
    # recipe's source weights, which come with the dumped rows).
    pos = sum(r["weight"] for r in train if r["label"] == 1)
    neg = sum(r["weight"] for r in train if r["label"] == 0)
    pos_scale = neg / max(pos, 1e-9)
    # The token embeddings stay as they are: they are the tied LM head (a probe's pull on them moves every next-token
    # distribution directly) and layer 0 of the head's features.
    model.wte.weight.requires_grad_(False)
    params = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr, "weight_decay": 0.01},
              {"params": head.parameters(), "lr": head_lr, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(params, betas=(0.9, 0.95))
    base = [g["lr"] for g in opt.param_groups]
    warm = max(1, steps // 20)
    order: list[int] = []
    history = []
    t0 = time.time()

    def val_loss() -> float:
        model.eval()
        g = np.random.default_rng(1)
        losses = []
        with torch.no_grad():
            for _ in range(8):
                starts = g.integers(0, len(lm_val) - context - 1, size=8)
                x = torch.from_numpy(np.stack([lm_val[s:s + context].astype(np.int64) for s in starts]))
                y = torch.from_numpy(np.stack([lm_val[s + 1:s + 1 + context].astype(np.int64) for s in starts]))
                losses.append(float(model(x, y)))
        model.train()
        return float(np.mean(losses))

    def dev_auroc() -> dict:
        model.eval()
        scores = []
        with torch.no_grad():
            for i in range(0, len(dev), 256):
                b = dev[i:i + 256]
                scores.append(head(pooled_features(model, [r["ids"] for r in b], bos)).squeeze(-1).numpy())
        model.train()
        s = np.concatenate(scores)
        lab = np.array([r["label"] for r in dev])
        src = np.array([r["source"] for r in dev])
        g = np.array([r["general"] for r in dev])
        out = {"general_auroc": auroc(s[g], lab[g])}
        clean = s[src == "clean_prose"]
        # Share of general toxic dev rows above the 99th percentile of clean dev prose: the 1% budget's recall.
        out["recall_at_clean_1pct"] = float((s[g & (lab == 1)] > np.quantile(clean, 0.99)).mean())
        return out

    first = {"step": 0, "val_loss": val_loss()}
    log(json.dumps(first))
    history.append(first)
    model.train()
    for step in range(1, steps + 1):
        f = min(1.0, step / warm) * max(0.05, 1 - step / steps)
        for g, b in zip(opt.param_groups, base):
            g["lr"] = b * f
        if len(order) < tox_batch:
            order = list(range(len(train)))
            rng.shuffle(order)
        idx, order = order[:tox_batch], order[tox_batch:]
        batch = [train[i] for i in idx]
        y = torch.tensor([float(r["label"]) for r in batch])
        wt = torch.tensor([r["weight"] * (pos_scale if r["label"] == 1 else 1.0) for r in batch])
        starts = np.array([rng.randrange(0, len(lm_train) - context - 1) for _ in range(lm_batch)])
        x_lm = torch.from_numpy(np.stack([lm_train[s:s + context].astype(np.int64) for s in starts]))
        y_lm = torch.from_numpy(np.stack([lm_train[s + 1:s + 1 + context].astype(np.int64) for s in starts]))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            z = head(pooled_features(model, [r["ids"] for r in batch], bos)).squeeze(-1).float()
            cls = (F.binary_cross_entropy_with_logits(z, y, reduction="none") * wt).sum() / wt.sum()
            if teacher is None:
                lm = model(x_lm, y_lm)
            else:
                with torch.no_grad():
                    target = teacher(x_lm).float().log_softmax(-1)
                lm = F.kl_div(model(x_lm).float().log_softmax(-1).flatten(0, 1), target.flatten(0, 1),
                              log_target=True, reduction="batchmean")
        loss = lm + cls_weight * cls
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad] + list(head.parameters()), 1.0)
        opt.step()
        if step % 20 == 0:
            log(f"step {step} lm {float(lm):.3f} cls {float(cls):.3f} {time.time() - t0:.0f}s")
        if step % eval_every == 0 or step == steps:
            h = {"step": step, "val_loss": val_loss(), **dev_auroc(), "seconds": round(time.time() - t0)}
            log(json.dumps(h))
            history.append(h)
        if time_budget_s and time.time() - t0 > time_budget_s:
            log(f"time budget reached at step {step}")
            break
    return {"history": history, "steps": step}


def main() -> None:
    import argparse
    from .rebuild import rebuild_from_onnx
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="models/default")
    p.add_argument("--rows", required=True)
    p.add_argument("--corpus", default="../shared/data/corpus")
    p.add_argument("--out", required=True, help="checkpoint .pt to write")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--cls-weight", type=float, default=1.0)
    p.add_argument("--lm-words", type=int, default=1_500_000)
    p.add_argument("--minutes", type=float, default=None)
    p.add_argument("--eval-every", type=int, default=300)
    p.add_argument("--lm-batch", type=int, default=12)
    p.add_argument("--lm-loss", choices=["kl", "ce"], default="kl")
    p.add_argument("--init", default=None, help="a checkpoint of an earlier tuning to continue from")
    p.add_argument("--tox-batch", type=int, default=64)
    a = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    folder = Path(a.model)
    model = rebuild_from_onnx(folder)
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["model"])
    tok = ByteLevelBPE.load(folder / "tokenizer.json")
    bos = model.cfg.bos_token_id
    rows = [json.loads(l) for l in open(a.rows)]
    t = time.time()
    lm_train, lm_val = lm_streams(Path(a.corpus), tok, a.lm_words, 150_000, seed=7)
    print(f"streams {len(lm_train)} / {len(lm_val)} tokens in {time.time() - t:.0f}s", flush=True)
    res = tune(model, rows, lm_train, lm_val, bos, steps=a.steps, lr=a.lr, cls_weight=a.cls_weight,
               log=lambda m: print(m, flush=True), time_budget_s=a.minutes * 60 if a.minutes else None, eval_every=a.eval_every,
               lm_batch=a.lm_batch, tox_batch=a.tox_batch, lm_loss=a.lm_loss)
    torch.save({"config": model.cfg.to_dict(), "model": model.state_dict(), "tuning": res}, a.out)
    print(f"saved {a.out}")


if __name__ == "__main__":
    main()
