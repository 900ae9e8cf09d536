#!/usr/bin/env python3
"""PyTorch eager side of `npm run bench:score` (called by bench/score.ts; not run on its own).

Rebuilds the model in PyTorch from the model folder's ONNX file with the training pipeline's loader (same weights),
then scores the rows that the engine planned (same windows, same batches, right padding), computing per-token
log-probabilities with torch.set_num_threads(N) under torch.inference_mode(). Prints one JSON line:
{"seconds": S, "tokens": N, "nll": X}.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "training"))

# Where the training pipeline keeps its "rebuild a PyTorch model from an exported folder" function.
LOADERS = [
    ("plausibility_train.rebuild", "rebuild_from_onnx"),
    ("plausibility_train.evaluate", "load_model"),
    ("plausibility_train.evaluate", "load_model_folder"),
    ("plausibility_train.evaluate", "model_from_folder"),
    ("plausibility_train.onnx_import", "load_model_folder"),
    ("plausibility_train.export", "model_from_onnx"),
    ("plausibility_train.export", "load_onnx_model"),
]


def rebuild(model_dir: Path):
    for mod_name, fn_name in LOADERS:
        try:
            mod = importlib.import_module(mod_name)
        except ImportError:
            continue
        fn = getattr(mod, fn_name, None)
        if fn is not None:
            m = fn(model_dir)
            return m[0] if isinstance(m, tuple) else m
    raise SystemExit("the training pipeline has no function to rebuild a PyTorch model from an ONNX folder "
                     f"(looked for {', '.join(f'{a}.{b}' for a, b in LOADERS)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    model = rebuild(Path(args.model))
    model.eval()
    plan = json.loads(Path(args.rows).read_text())
    batches, firsts = plan["batches"], plan["firsts"]

    def run_batch(batch):
        maxlen = max(len(r) for r in batch)
        ids = torch.zeros((len(batch), maxlen), dtype=torch.long)
        for i, r in enumerate(batch):
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        logits = model(ids)
        return ids, torch.log_softmax(logits.float(), dim=-1)

    with torch.inference_mode():
        run_batch([batches[0][0][: min(len(batches[0][0]), 64)]])  # warm-up
        t0 = time.perf_counter()
        nll = 0.0
        tokens = 0
        k = 0
        for batch in batches:
            ids, lp = run_batch(batch)
            for i, r in enumerate(batch):
                first = firsts[k]
                k += 1
                tgt = ids[i, first: len(r)]
                got = lp[i, first - 1: len(r) - 1].gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
                nll -= float(got.sum())
                tokens += len(r) - first
        secs = time.perf_counter() - t0
    print(json.dumps({"seconds": secs, "tokens": tokens, "nll": nll}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
