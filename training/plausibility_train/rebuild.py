"""Rebuild the PyTorch model from an exported folder's ONNX weights (for PyTorch-eager benchmarks)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .model import GPT, GPTConfig


def rebuild_from_onnx(folder: Path) -> GPT:
    import onnx
    from onnx import numpy_helper

    cfg_json = json.loads((folder / "config.json").read_text())
    cfg = GPTConfig(vocab_size=cfg_json["vocab_size"], n_positions=cfg_json["n_positions"], n_embd=cfg_json["n_embd"],
                    n_layer=cfg_json["n_layer"], n_head=cfg_json["n_head"], bos_token_id=cfg_json["bos_token_id"],
                    eos_token_id=cfg_json["eos_token_id"])
    model = GPT(cfg)
    onnx_graph = onnx.load(str(folder / "onnx" / "model.onnx")).graph
    inits = {i.name: numpy_helper.to_array(i) for i in onnx_graph.initializer}
    state = model.state_dict()
    by_shape: dict[tuple, list[str]] = {}
    for name, arr in inits.items():
        by_shape.setdefault(tuple(arr.shape), []).append(name)
    # Linear weights are exported transposed under generated names (onnx::MatMul_N), in the order the
    # graph uses them, which is the module order: qkv, proj, fc, fc_out in each block.
    linear_keys = [f"blocks.{i}.{n}.weight" for i in range(cfg.n_layer) for n in ("qkv", "proj", "fc", "fc_out")]
    matmul_inits = []
    for node in onnx_graph.node:
        if node.op_type in ("MatMul", "Gemm"):
            for x in node.input:
                if x in inits and not x.startswith("model.") and x not in matmul_inits:
                    matmul_inits.append(x)
    linear_src = {}
    for key, name in zip(linear_keys, matmul_inits):
        if tuple(inits[name].shape) == tuple(reversed(state[key].shape)):
            linear_src[key] = inits[name].T
    missing = []
    for key, t in state.items():
        src = inits.get("model." + key)
        if src is None:
            src = linear_src.get(key)
        if src is None and key == "wte.weight":
            # The tied matrix may survive only in its transposed (LM head) form.
            cand = [n for n in by_shape.get(tuple(reversed(t.shape)), [])]
            src = inits[cand[0]].T if cand else None
        if src is None:
            missing.append(key)
            continue
        state[key] = torch.from_numpy(np.array(src, copy=True)).to(t.dtype)
    if missing:
        raise ValueError(f"could not find these weights in the ONNX file: {', '.join(missing)}")
    model.load_state_dict(state)
    return model.eval()
