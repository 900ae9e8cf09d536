"""Export a trained checkpoint to a model folder in the transformers.js / Optimum decoder layout."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import torch

from .bpe import ByteLevelBPE
from .model import GPT, GPTConfig, OnnxWrapper, sequence_logprobs

PARITY_TEXTS = [
    "The cat sat on the mat.",
    "Hello",
    "",
    "The results, however, were not what the committee had expected: costs rose by 12% in 1961.",
    "Café naïve façade — “quoted” text… and an emoji 🙂 plus a family 👨‍👩‍👧 here.",
    "Combining marks: e\u0301 a\u0308 o\u0302; Hangul 한국어; CJK 中文文本; Arabic مرحبا.",
    "Line one\r\nLine two\r\n\r\nA new paragraph after CRLF.",
    "def f(x):\n    return x ** 2  # a comment\n",
    "Install the package with `npm install plausibility` and run it from the command line.",
    "Colorless green ideas sleep furiously.",
    " leading space and  double  spaces\tand a tab",
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
    "it was the season of Darkness, it was the spring of hope, it was the winter of despair. " * 2,
]


def load_checkpoint(path: Path) -> GPT:
    state = torch.load(path, map_location="cpu")
    cfg_dict = state.get("config") or state["train_config"]["model"]
    model = GPT(GPTConfig(**cfg_dict))
    model.load_state_dict(state["model"])
    model.eval()
    return model


def export_model(checkpoint: Path, tokenizer_dir: Path, tokens_dir: Path, out: Path, fp16: bool = False,
                 opset: int = 17, int8: bool = False, fp16_weights: bool = False) -> None:
    model = load_checkpoint(checkpoint)
    if fp16_weights:  # round once here, so the ONNX file, lm_head.bin and parity.json all hold the same values
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    cfg = model.cfg
    tok = ByteLevelBPE.load(tokenizer_dir / "tokenizer.json")
    if len(tok.vocab) != cfg.vocab_size:
        raise ValueError(f"tokenizer has {len(tok.vocab)} tokens but the model expects {cfg.vocab_size}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "onnx").mkdir(exist_ok=True)
    tmp = out / "onnx" / "model.onnx.tmp"
    export_onnx(model, tmp, opset)
    if fp16_weights:
        write_fp16_weights(tmp, tmp)
    tmp.replace(out / "onnx" / "model.onnx")
    if fp16:
        write_fp16(out / "onnx" / "model.onnx", out / "onnx" / "model_fp16.onnx")
    if int8:
        write_int8(out / "onnx" / "model.onnx", out / "onnx" / "model_quantized.onnx")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(tokenizer_dir / name, out / name)
    config = {
        "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg.vocab_size, "n_positions": cfg.n_positions, "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd, "n_layer": cfg.n_layer, "n_head": cfg.n_head, "n_inner": 4 * cfg.n_embd,
        "activation_function": "gelu", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True,
        "bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id, "torch_dtype": "float32",
        "use_cache": True, "transformers.js_config": {"dtype": "fp32"},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "generation_config.json").write_text(json.dumps(
        {"bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id}, indent=2) + "\n")
    w = model.wte.weight.detach().numpy().astype("<f4")
    w.tofile(out / "lm_head.bin")
    (out / "lm_head.json").write_text(json.dumps({"dtype": "float32", "shape": list(w.shape), "bias": False,
                                                  "tied_to": "wte", "file": "lm_head.bin"}) + "\n")
    cond = tokens_dir / "conditioning.json"
    if cond.exists():
        shutil.copy(cond, out / "conditioning.json")
    write_parity(model, tok, out / "parity.json")
    print(f"exported {checkpoint} -> {out} ({(out / 'onnx' / 'model.onnx').stat().st_size / 1e6:.1f} MB)")


def export_onnx(model: GPT, path: Path, opset: int = 17) -> None:
    cfg = model.cfg
    wrapper = OnnxWrapper(model).eval()
    b, s = 1, 3
    ids = torch.randint(0, cfg.vocab_size, (b, s))
    past = []
    names_in = ["input_ids", "attention_mask", "position_ids"]
    names_out = ["logits"]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}
    for i in range(cfg.n_layer):
        for kind in ("key", "value"):
            past.append(torch.zeros(b, cfg.n_head, 0, cfg.head_dim))
            names_in.append(f"past_key_values.{i}.{kind}")
            names_out.append(f"present.{i}.{kind}")
            axes[f"past_key_values.{i}.{kind}"] = {0: "batch_size", 2: "past_sequence_length"}
            axes[f"present.{i}.{kind}"] = {0: "batch_size", 2: "total_sequence_length"}
    names_out.append("last_hidden_state")
    for i in range(1, cfg.n_layer):  # the residual stream after block i (before the final norm)
        names_out.append(f"hidden_states.{i}")
        axes[f"hidden_states.{i}"] = {0: "batch_size", 1: "sequence_length"}
    args = (ids, torch.ones(b, s, dtype=torch.long), torch.arange(s).unsqueeze(0), *past)
    with torch.no_grad():
        torch.onnx.export(wrapper, args, str(path), input_names=names_in, output_names=names_out,
                          dynamic_axes=axes, opset_version=opset,
                          # No folding: a folded Transpose would store the tied embedding twice.
                          # onnxruntime folds it in memory at load time instead.
                          do_constant_folding=False)


def write_fp16(src: Path, dst: Path) -> None:
    """Convert float32 initialisers to float16 and wrap the graph's float I/O with Casts."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for node in g.node:  # constants baked into nodes
        if node.op_type in ("Constant", "ConstantOfShape"):
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
        if node.op_type == "Cast":
            for a in node.attribute:
                if a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16
    casts = []
    for vi in g.input:
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            new = vi.name + "_fp16"
            for node in g.node:
                node.input[:] = [new if x == vi.name else x for x in node.input]
            casts.append(helper.make_node("Cast", [vi.name], [new], to=TensorProto.FLOAT16))
    outs = []
    for vi in g.output:
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            inner = vi.name + "_fp16"
            for node in g.node:
                node.output[:] = [inner if x == vi.name else x for x in node.output]
                # Nodes that also read this output inside the graph (e.g. a present key feeding attention) must read
                # the float16 value, not the float32 graph output made by the Cast below.
                node.input[:] = [inner if x == vi.name else x for x in node.input]
            outs.append(helper.make_node("Cast", [inner], [vi.name], to=TensorProto.FLOAT))
    nodes = casts + list(g.node) + outs
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]
    onnx.save(m, str(dst))



def write_fp16_weights(src: Path, dst: Path, min_elements: int = 16) -> None:
    """Float16 storage, float32 arithmetic: each float32 initialiser of `min_elements` or more is stored as float16 and
    widened by a Cast node that onnxruntime folds at load. The file halves; inputs, outputs and every operation stay
    float32, so the engine runs it like any fp32 model. Exact when the weights are already float16 values (export
    rounds them first, so parity.json and lm_head.bin describe this file)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    casts = []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= min_elements:
            name = init.name
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), name + "_fp16"))
            casts.append(helper.make_node("Cast", [name + "_fp16"], [name], to=TensorProto.FLOAT))
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.save(m, str(dst))


def write_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls (onnxruntime's quantize_dynamic scheme, without onnxruntime).

    Every MatMul whose weight is a float32 initialiser (or a Transpose of one, as torch exports Linear and the tied LM
    head) becomes DynamicQuantizeLinear(activations) -> MatMulInteger(uint8, int8 weights) -> Cast -> Mul(scales),
    which onnxruntime fuses into MatMulIntegerToFloat on the CPU. Weights are symmetric per output column. The token
    embedding Gather and everything else stay float32; inputs and outputs are unchanged."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    new_nodes = []
    new_inits = []
    replaced = 0
    for node in g.node:
        w = None
        if node.op_type == "MatMul":
            b = node.input[1]
            if b in inits and inits[b].data_type == TensorProto.FLOAT:
                w = numpy_helper.to_array(inits[b])
            elif b in producer and producer[b].op_type == "Transpose" and producer[b].input[0] in inits:
                t = producer[b]
                perm = [a.ints for a in t.attribute if a.name == "perm"]
                src_w = inits[t.input[0]]
                if src_w.data_type == TensorProto.FLOAT and src_w.dims and len(src_w.dims) == 2 and \
                        (not perm or list(perm[0]) == [1, 0]):
                    w = numpy_helper.to_array(src_w).T
        if w is None or w.ndim != 2:
            new_nodes.append(node)
            continue
        w = np.ascontiguousarray(w, dtype=np.float32)  # [K, N]
        scale = np.abs(w).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        base = f"{node.output[0]}_q8"
        new_inits += [numpy_helper.from_array(q, base + "_w"),
                      numpy_helper.from_array(np.zeros(q.shape[1], np.int8), base + "_wzp"),
                      numpy_helper.from_array(scale.astype(np.float32), base + "_ws")]
        a = node.input[0]
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [a], [base + "_a", base + "_as", base + "_azp"]),
            helper.make_node("MatMulInteger", [base + "_a", base + "_w", base + "_azp", base + "_wzp"], [base + "_i32"]),
            helper.make_node("Cast", [base + "_i32"], [base + "_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [base + "_as", base + "_ws"], [base + "_s"]),
            helper.make_node("Mul", [base + "_f", base + "_s"], [node.output[0]], name=node.name),
        ]
        replaced += 1
    if replaced == 0:
        raise ValueError("no MatMul with a float32 weight initialiser to quantise")
    # Drop nodes (the weight Transposes) and initialisers nothing reads any more.
    used = {i for n in new_nodes for i in n.input} | {o.name for o in g.output}
    while True:
        keep = [n for n in new_nodes if any(o in used for o in n.output)]
        if len(keep) == len(new_nodes):
            break
        new_nodes = keep
        used = {i for n in new_nodes for i in n.input} | {o.name for o in g.output}
    old_inits = [i for i in g.initializer if i.name in used]
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(old_inits + [i for i in new_inits if i.name in used])
    del g.value_info[:]
    onnx.save(m, str(dst))

def write_parity(model: GPT, tok: ByteLevelBPE, path: Path) -> None:
    bos = model.cfg.bos_token_id
    texts = []
    for t in PARITY_TEXTS:
        ids = [bos] + tok.encode(t)
        ids = ids[: model.cfg.n_positions]
        lp = sequence_logprobs(model, [ids])[0]
        texts.append({"text": t, "ids": ids, "logprobs": lp})
    path.write_text(json.dumps({"bos_token_id": bos, "texts": texts}, ensure_ascii=False) + "\n", encoding="utf-8")


def fingerprint(folder: Path) -> str:
    """sha256 of the model's ONNX file: identifies the base model for discriminator heads."""
    h = hashlib.sha256()
    with open(folder / "onnx" / "model.onnx", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
