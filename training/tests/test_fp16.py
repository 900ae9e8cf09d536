"""Precision variants: write_fp16 (the float16 export loads in onnxruntime-node and matches fp32 within float16
accuracy, including when a graph output, a present key/value, is also read inside the graph) and write_int8 (dynamic
int8 MatMuls, close to fp32)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

from plausibility_train.export import export_onnx, write_fp16, write_fp16_weights, write_int8  # noqa: E402
from plausibility_train.model import GPT, GPTConfig, sequence_logprobs  # noqa: E402


def node_available() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "onnxruntime-node").exists()


class Fp16Tests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cfg = GPTConfig(vocab_size=300, n_positions=64, n_embd=32, n_layer=2, n_head=2)
        model = GPT(cfg).eval()
        cls.dir = Path(tempfile.mkdtemp(prefix="plaus-fp16-"))
        for name in ("fp32", "fp16", "int8", "fp16w"):
            (cls.dir / name / "onnx").mkdir(parents=True)
            (cls.dir / name / "config.json").write_text(json.dumps(
                {"n_embd": 32, "n_head": 2, "n_layer": 2, "vocab_size": 300}))
        export_onnx(model, cls.dir / "fp32" / "onnx" / "model.onnx")
        write_fp16(cls.dir / "fp32" / "onnx" / "model.onnx", cls.dir / "fp16" / "onnx" / "model.onnx")
        write_int8(cls.dir / "fp32" / "onnx" / "model.onnx", cls.dir / "int8" / "onnx" / "model.onnx")
        # float16 storage, float32 arithmetic: exact for weights that are already float16 values
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
        cls.rounded = model
        export_onnx(model, cls.dir / "fp16w" / "onnx" / "model.onnx")
        write_fp16_weights(cls.dir / "fp16w" / "onnx" / "model.onnx", cls.dir / "fp16w" / "onnx" / "model.onnx")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_initialisers_are_half_and_io_stays_float32(self):
        import onnx
        from onnx import TensorProto
        m = onnx.load(str(self.dir / "fp16" / "onnx" / "model.onnx"))
        self.assertFalse([i.name for i in m.graph.initializer if i.data_type == TensorProto.FLOAT])
        kinds = {vi.name: vi.type.tensor_type.elem_type for vi in list(m.graph.input) + list(m.graph.output)}
        self.assertEqual(kinds["logits"], TensorProto.FLOAT)
        self.assertEqual(kinds["past_key_values.0.key"], TensorProto.FLOAT)
        self.assertEqual(kinds["present.1.value"], TensorProto.FLOAT)

    @unittest.skipUnless(node_available(), "node_modules not installed")
    def test_onnxruntime_fp16_matches_fp32(self):
        seqs = [[0, 5, 9, 33, 2, 7, 150, 299, 1], [0, 17]]
        got = {}
        for name in ("fp32", "fp16", "int8"):
            res = subprocess.run(["node", str(HERE / "ort_logprobs.cjs"), str(self.dir / name), json.dumps(seqs)],
                                 capture_output=True, text=True, cwd=ROOT, timeout=300)
            self.assertEqual(res.returncode, 0, res.stderr)
            got[name] = json.loads(res.stdout)["logprobs"]
        for a, b in zip(got["fp16"], got["fp32"]):
            np.testing.assert_allclose(a, b, atol=2e-2)
        for a, b in zip(got["int8"], got["fp32"]):
            np.testing.assert_allclose(a, b, atol=1e-1)

    def test_fp16_weights_halve_the_file_and_keep_float32_arithmetic(self):
        import onnx
        from onnx import TensorProto
        m = onnx.load(str(self.dir / "fp16w" / "onnx" / "model.onnx"))
        big = [i for i in m.graph.initializer if int(np.prod(i.dims)) >= 16]
        self.assertTrue(big and all(i.data_type == TensorProto.FLOAT16 for i in big))
        casts = [n for n in m.graph.node if n.op_type == "Cast" and n.input[0].endswith("_fp16")]
        self.assertEqual(len(casts), len(big))
        self.assertTrue(all(a.i == TensorProto.FLOAT for n in casts for a in n.attribute if a.name == "to"))
        kinds = {vi.name: vi.type.tensor_type.elem_type for vi in list(m.graph.input) + list(m.graph.output)}
        self.assertEqual(kinds["logits"], TensorProto.FLOAT)
        self.assertLess((self.dir / "fp16w" / "onnx" / "model.onnx").stat().st_size,
                        0.6 * (self.dir / "fp32" / "onnx" / "model.onnx").stat().st_size)

    @unittest.skipUnless(node_available(), "node_modules not installed")
    def test_fp16_weights_match_pytorch_exactly_enough(self):
        seqs = [[0, 5, 9, 33, 2, 7, 150, 299, 1], [0, 17, 4]]
        res = subprocess.run(["node", str(HERE / "ort_logprobs.cjs"), str(self.dir / "fp16w"), json.dumps(seqs)],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        want = sequence_logprobs(self.rounded, seqs)
        for a, b in zip(json.loads(res.stdout)["logprobs"], want):
            np.testing.assert_allclose(a, b, atol=1e-4)

    def test_int8_quantises_every_weight_matmul(self):
        import onnx
        from onnx import TensorProto
        m = onnx.load(str(self.dir / "int8" / "onnx" / "model.onnx"))
        ops = [n.op_type for n in m.graph.node]
        # 2 layers x 4 Linear + the tied LM head
        self.assertEqual(ops.count("MatMulInteger"), 9)
        self.assertTrue(any(i.data_type == TensorProto.INT8 for i in m.graph.initializer))
        self.assertEqual([o.name for o in m.graph.output][0], "logits")


if __name__ == "__main__":
    unittest.main()
