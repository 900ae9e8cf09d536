"""Fast checks of the training pipeline (run by `npm test` through training/run_tests.sh)."""
from __future__ import annotations

import json
import os
import random
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

from plausibility_train.bpe import ByteLevelBPE, train_bpe  # noqa: E402
from plausibility_train.corpus import CorpusError, Sources, prepare  # noqa: E402
from plausibility_train.data import build_stream, save_stream  # noqa: E402
from plausibility_train.export import export_model  # noqa: E402
from plausibility_train.model import GPT, GPTConfig, sequence_logprobs  # noqa: E402
from plausibility_train.train import TrainConfig, average_weights, join_weights, snapshot, split_weights, train  # noqa: E402

SAMPLE = [
    "The committee met on Friday to discuss the budget. Members agreed that costs were too high.",
    "Install the package, then run the linter on every Markdown file in the repository.",
    "She opened the door slowly; the room was dark, and the clock on the wall had stopped.",
    "Python's for statement iterates over the items of any sequence, in the order they appear.",
    "Naïve café owners serve crème brûlée — and 🙂 emoji — to 中文 speakers.",
] * 20


def random_unicode(rng: random.Random, n: int) -> str:
    pools = ["abc XYZ 123 .,;!?'\"", "éèüñçßøå", "\u0301\u0308\u0302", "中文日本語한국어", "🙂👍🏽👨‍👩‍👧🇫🇷",
             "\r\n\t  ", "مرحبا שלום", "\u200d\u200b\ufeff"]
    out = []
    for _ in range(n):
        pool = rng.choice(pools)
        out.append(rng.choice(pool))
        if rng.random() < 0.02:
            out.append(chr(rng.randint(0x20, 0x2FFF)))
    return "".join(out)


def node_available() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "onnxruntime-node").exists()


class Fixture:
    """One tiny tokenizer, token stream and model shared by the tests."""
    _dir: Path | None = None

    @classmethod
    def get(cls) -> Path:
        if cls._dir is None:
            d = Path(tempfile.mkdtemp(prefix="plaus-train-"))
            vocab, merges = train_bpe(SAMPLE, 400)
            tok = ByteLevelBPE(vocab, merges)
            tok.save(d / "tok", 64)
            docs = [{"id": f"d{i}", "source": "s", "tags": ["news"], "synopsis": "A synopsis.", "text": t}
                    for i, t in enumerate(SAMPLE)]
            arr = build_stream(docs, tok, 0.5)
            save_stream(arr, d / "tokens" / "train.bin")
            save_stream(arr[: len(arr) // 4], d / "tokens" / "validation.bin")
            cls._dir = d
        return cls._dir


def tiny_config(d: Path, **kw) -> TrainConfig:
    base = dict(out_dir=str(d / "run"), train_bin=str(d / "tokens" / "train.bin"),
                val_bin=str(d / "tokens" / "validation.bin"), batch_size=4, context=32, lr=3e-3, warmup_steps=2,
                max_steps=30, eval_every=1000, eval_batches=2, ckpt_every=10, log_every=1000, threads=1,
                model={"vocab_size": 400, "n_positions": 64, "n_embd": 32, "n_layer": 2, "n_head": 2})
    base.update(kw)
    return TrainConfig(**base)


class TokenizeSplitsTests(unittest.TestCase):
    def test_held_out_splits_alone_leave_no_training_manifest(self):
        d = Fixture.get()
        corpus = d / "corpus-splits"
        corpus.mkdir(exist_ok=True)
        for split in ("train", "validation", "test"):
            with open(corpus / f"{split}.jsonl", "w") as f:
                for i, t in enumerate(SAMPLE[:10]):
                    f.write(json.dumps({"id": f"{split}{i}", "source": "s", "tags": ["news"], "synopsis": "", "text": t}) + "\n")
        out = d / "tokens-splits"
        env = {**os.environ, "PYTHONPATH": str(ROOT / "training")}
        r = subprocess.run([sys.executable, "-m", "plausibility_train", "tokenize", "--corpus", str(corpus), "--tokenizer",
                            str(d / "tok"), "--splits", "validation", "test", "--out", str(out)],
                           env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue((out / "validation.bin").exists() and (out / "test.bin").exists())
        self.assertFalse((out / "train.bin").exists())
        self.assertFalse((out / "conditioning.json").exists())


class TokenizerTests(unittest.TestCase):
    def test_round_trip_arbitrary_unicode(self):
        d = Fixture.get()
        tok = ByteLevelBPE.load(d / "tok" / "tokenizer.json")
        rng = random.Random(7)
        for _ in range(200):
            s = random_unicode(rng, rng.randint(0, 60))
            self.assertEqual(tok.decode(tok.encode(s)), s)

    def test_training_is_deterministic(self):
        a = train_bpe(SAMPLE, 350)
        b = train_bpe(list(SAMPLE), 350)
        self.assertEqual(a, b)

    def test_empty_corpus_is_refused(self):
        with self.assertRaises(ValueError):
            train_bpe([], 300)

    @unittest.skipUnless(node_available(), "node_modules not installed")
    def test_python_and_js_encodings_agree(self):
        d = Fixture.get()
        tok = ByteLevelBPE.load(d / "tok" / "tokenizer.json")
        rng = random.Random(3)
        texts = SAMPLE[:5] + [random_unicode(rng, rng.randint(1, 80)) for _ in range(60)] + ["", " ", "a  b\r\n\r\nc"]
        res = subprocess.run(["node", str(HERE / "js_encode.cjs"), str(d / "tok")], input=json.dumps(texts),
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        js = json.loads(res.stdout)
        for t, ids in zip(texts, js):
            self.assertEqual(ids, tok.encode(t), f"encodings differ for {t!r}")


class CorpusTests(unittest.TestCase):
    def test_missing_source_names_it(self):
        with tempfile.TemporaryDirectory() as t:
            src = Sources(brown=Path(t) / "nope", nlp_corpus=Path(t) / "nope2")
            with self.assertRaises(CorpusError) as cm:
                prepare(src, Path(t) / "out", only=["brown"])
            self.assertIn("Brown", str(cm.exception))

    def test_prepare_is_reproducible_and_deduplicated(self):
        with tempfile.TemporaryDirectory() as t:
            brown = Path(t) / "brown"
            brown.mkdir()
            (brown / "cats.txt").write_text("ca01 news\nca02 news\ncf01 lore\n")
            body = "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' was/bedz found/vbn ./.\n"
            (brown / "ca01").write_text(body * 3)
            (brown / "ca02").write_text(body * 3)  # a duplicate document
            (brown / "cf01").write_text("\n\n\tIt/pps is/bez an/at old/jj story/nn ,/, told/vbn often/rb ./.\n" * 3)
            src = Sources(brown=brown, nlp_corpus=Path(t))
            m1 = prepare(src, Path(t) / "o1", only=["brown"])
            m2 = prepare(src, Path(t) / "o2", only=["brown"])
            self.assertEqual(m1["splits"], m2["splits"])
            self.assertGreaterEqual(m1["duplicates_dropped"], 1)
            docs = [json.loads(l) for s in ("train", "validation", "test")
                    for l in (Path(t) / "o1" / f"{s}.jsonl").read_text().splitlines()]
            self.assertTrue(all(d["genre"] in ("news", "lore") for d in docs))
            self.assertIn('said "no evidence" was found.', docs[0]["text"])

    def test_empty_corpus_stops_clearly(self):
        with tempfile.TemporaryDirectory() as t:
            brown = Path(t) / "brown"
            brown.mkdir()
            (brown / "cats.txt").write_text("")
            with self.assertRaises(CorpusError) as cm:
                prepare(Sources(brown=brown, nlp_corpus=Path(t)), Path(t) / "o", only=["brown"])
            self.assertIn("empty", str(cm.exception))


class TrainingTests(unittest.TestCase):
    def test_loss_falls(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as t:
            s = train(tiny_config(d, out_dir=t, max_steps=40, log_every=5), log=lambda *_: None)
            losses = [r["loss"] for r in s["history"]["log"]]
            self.assertLess(np.mean(losses[-2:]), losses[0] - 0.5)

    def test_bf16_autocast_learns_and_keeps_fp32_weights(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            fp32 = train(tiny_config(d, out_dir=a, max_steps=40, log_every=5), log=lambda *_: None)
            bf16 = train(tiny_config(d, out_dir=b, max_steps=40, log_every=5, precision="bf16"), log=lambda *_: None)
            l32 = [r["loss"] for r in fp32["history"]["log"]]
            l16 = [r["loss"] for r in bf16["history"]["log"]]
            self.assertLess(np.mean(l16[-2:]), l16[0] - 0.5)
            # Same batches and schedule: bfloat16 matmuls land within a few hundredths of a nat of fp32.
            self.assertLess(abs(fp32["history"]["evals"][-1]["val_loss"] - bf16["history"]["evals"][-1]["val_loss"]), 0.1)
            weights = torch.load(Path(b) / "final.pt")["model"]
            self.assertTrue(all(w.dtype == torch.float32 for w in weights.values()))

    def test_unknown_precision_is_refused(self):
        with self.assertRaises(ValueError) as cm:
            train(tiny_config(Fixture.get(), precision="fp8"), log=lambda *_: None)
        self.assertIn("precision", str(cm.exception))

    def test_init_from_starts_a_new_run_from_earlier_weights(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            first = train(tiny_config(d, out_dir=a, max_steps=30), log=lambda *_: None)
            # The model shape comes from the starting weights, not from the (deliberately wrong) config.
            cont = train(tiny_config(d, out_dir=b, max_steps=5, lr=1e-9, init_from=str(Path(a) / "final.pt"),
                                     model={"vocab_size": 400, "n_positions": 64, "n_embd": 16, "n_layer": 1,
                                            "n_head": 1}), log=lambda *_: None)
            self.assertEqual(cont["config"], first["config"])
            # A negligible learning rate: the continued run evaluates where the first one ended.
            self.assertAlmostEqual(cont["history"]["evals"][-1]["val_loss"], first["history"]["evals"][-1]["val_loss"],
                                   places=3)
            self.assertEqual(cont["steps"], 5)

    def test_prose_corpus_shards_get_writing_tags_and_keep_valid_out_of_train(self):
        import lzma
        with tempfile.TemporaryDirectory() as t:
            root = Path(t) / "corpus"
            root.mkdir()
            recs = {"train-enwiki-00": ("enwiki", "Anarchism"), "train-gutenberg-00": ("gutenberg", "Essays (Bacon)"),
                    "train-wikinews-00": ("wikinews", "Storm hits coast"), "valid-simplewiki": ("simplewiki", "Cats")}
            for name, (src, title) in recs.items():
                with lzma.open(root / f"{name}.jsonl.xz", "wt") as f:
                    for i in range(3):
                        text = f"{title} number {i} is a short paragraph about things. It has two sentences here."
                        f.write(json.dumps({"source": src, "title": title, "text": text}) + "\n")
            out = Path(t) / "prepared"
            prepare(Sources(brown=Path(t), nlp_corpus=Path(t), prose_corpus=root), out, only=["prose", "prose-valid"])
            train_docs = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
            held = [json.loads(x) for x in (out / "validation.jsonl").read_text().splitlines()] + \
                [json.loads(x) for x in (out / "test.jsonl").read_text().splitlines()]
            tags = {d["source"]: d["tags"] for d in train_docs}
            self.assertEqual(tags["enwiki"], ["encyclopedic"])
            self.assertEqual(tags["wikinews"], ["news"])
            self.assertEqual(tags["gutenberg"], ["essay"])  # a non-fiction title
            self.assertTrue(all(d["source"] != "simplewiki" for d in train_docs))
            self.assertEqual({d["source"] for d in held}, {"simplewiki"})
            self.assertEqual(held[0]["tags"], ["encyclopedic", "simple English"])

    def test_snapshot_resumes_a_run_on_a_fresh_machine(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            train(tiny_config(d, out_dir=a, max_steps=20, stop_at_step=12), log=lambda *_: None)
            snap = Path(a) / "snap.pt"
            info = snapshot(Path(a), snap)
            self.assertEqual(info["step"], 12)
            # A new folder without checkpoint.pt: the run continues from the snapshot's step and schedule.
            done = train(tiny_config(d, out_dir=b, max_steps=999, resume_snapshot=str(snap)), log=lambda *_: None)
            self.assertEqual(done["steps"], 20)
            w = torch.load(Path(b) / "final.pt")["model"]
            self.assertTrue(all(v.dtype == torch.float32 for v in w.values()))

    def test_split_and_join_bring_a_run_back_from_a_gpu_lease(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as t:
            run, out, back = Path(t) / "run", Path(t) / "out", Path(t) / "back"
            done = train(tiny_config(d, out_dir=str(run), max_steps=4), log=lambda *_: None)
            files = split_weights(run, out)
            sizes = [f.stat().st_size for f in files]
            self.assertLess(max(sizes), 1.5 * min(sizes))  # about equal halves, each under the lease's file cap
            s = join_weights(list(reversed(files)), back)
            self.assertEqual(s["steps"], done["steps"])
            a, b = torch.load(run / "final.pt"), torch.load(back / "final.pt")
            self.assertEqual(a["config"], b["config"])
            for k, v in a["model"].items():
                self.assertEqual(b["model"][k].dtype, torch.float32)
                self.assertTrue(torch.equal(b["model"][k], v.half().float()), k)
            with self.assertRaises(ValueError):
                join_weights(files[:1], Path(t) / "bad")

    def test_average_weights_of_a_run_and_its_continuation(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as t:
            a, b, c = Path(t) / "a", Path(t) / "b", Path(t) / "c"
            first = train(tiny_config(d, out_dir=str(a), max_steps=10), log=lambda *_: None)
            second = train(tiny_config(d, out_dir=str(b), max_steps=6, init_from=str(a / "final.pt")), log=lambda *_: None)
            s = average_weights([(a / "final.pt", 1.0), (b / "final.pt", 3.0)], c)
            wa, wb = (torch.load(x / "final.pt")["model"] for x in (a, b))
            avg = torch.load(c / "final.pt")["model"]
            for k in avg:
                self.assertTrue(torch.allclose(avg[k], 0.25 * wa[k] + 0.75 * wb[k], atol=1e-6), k)
            # b continued from a: both runs count once each.
            self.assertEqual(s["steps"], first["steps"] + second["steps"])
            self.assertEqual(s["tokens"], first["tokens"] + second["tokens"])
            other = Path(t) / "other"
            train(tiny_config(d, out_dir=str(other), max_steps=2,
                              model={"vocab_size": 400, "n_positions": 64, "n_embd": 16, "n_layer": 1, "n_head": 1}),
                  log=lambda *_: None)
            with self.assertRaises(ValueError):
                average_weights([(a / "final.pt", 1.0), (other / "final.pt", 1.0)], Path(t) / "bad")

    def test_per_source_header_fractions(self):
        tok = ByteLevelBPE.load(Fixture.get() / "tok" / "tokenizer.json")
        docs = [{"id": f"{src}{i}", "source": src, "tags": ["news"], "synopsis": "A synopsis.", "text": "Some text."}
                for src in ("a", "b") for i in range(200)]
        text = tok.decode(build_stream(docs, tok, 0.0, tag_fractions={"a": 1.0}, synopsis_fractions={"a": 0.0}).tolist())
        self.assertEqual(text.count("Tags: [news]\n\nSome text."), 200)  # every "a" copy, tags only; no "b" copy
        self.assertNotIn("Synopsis:", text)

    def test_resume_continues_exactly(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            train(tiny_config(d, out_dir=a, max_steps=20), log=lambda *_: None)
            train(tiny_config(d, out_dir=b, max_steps=20, stop_at_step=10), log=lambda *_: None)  # interrupted
            train(tiny_config(d, out_dir=b, max_steps=20), log=lambda *_: None)  # resumes from its checkpoint
            sa = torch.load(Path(a) / "final.pt")["model"]
            sb = torch.load(Path(b) / "final.pt")["model"]
            for k in sa:
                self.assertTrue(torch.equal(sa[k], sb[k]), k)

    def test_ddp_two_gloo_ranks_stay_identical(self):
        d = Fixture.get()
        with tempfile.TemporaryDirectory() as t:
            cfg = tiny_config(d, out_dir=t, max_steps=2, ckpt_every=1000, save_rank_weights=True)
            (Path(t) / "cfg.json").write_text(json.dumps(cfg.__dict__))
            script = Path(t) / "ddp.py"
            script.write_text(f"import json,sys\nsys.path.insert(0,{str(HERE.parent)!r})\n"
                              "from plausibility_train.train import TrainConfig, train\n"
                              "train(TrainConfig(**json.load(open(sys.argv[1]))), log=lambda *_: None)\n")
            env = dict(os.environ, MASTER_ADDR="127.0.0.1", WORLD_SIZE="2", OMP_NUM_THREADS="1")
            port = str(29500 + random.randint(0, 400))
            procs = [subprocess.Popen([sys.executable, str(script), str(Path(t) / "cfg.json")],
                                      env=dict(env, RANK=str(r), LOCAL_RANK=str(r), MASTER_PORT=port))
                     for r in range(2)]
            for p in procs:
                self.assertEqual(p.wait(timeout=300), 0)
            s0, s1 = torch.load(Path(t) / "rank0.pt"), torch.load(Path(t) / "rank1.pt")
            init = GPT(GPTConfig(**cfg.model)).state_dict()
            changed = False
            for k in s0:
                self.assertTrue(torch.equal(s0[k], s1[k]), k)
                changed |= not torch.equal(s0[k], init[k])
            self.assertTrue(changed, "the weights did not move")


class ExportTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = Fixture.get()
        cls.out = d / "model"
        if not (cls.out / "onnx" / "model.onnx").exists():
            run = d / "exp-run"
            train(tiny_config(d, out_dir=str(run), max_steps=5), log=lambda *_: None)
            (d / "tokens" / "conditioning.json").write_text(json.dumps({"header": "Tags: [{tags}]\n\n"}))
            export_model(run / "final.pt", d / "tok", d / "tokens", cls.out)

    def test_layout(self):
        import onnx
        m = onnx.load(str(self.out / "onnx" / "model.onnx"))
        ins = [i.name for i in m.graph.input]
        outs = [o.name for o in m.graph.output]
        self.assertEqual(ins[:3], ["input_ids", "attention_mask", "position_ids"])
        self.assertIn("past_key_values.1.value", ins)
        self.assertEqual(outs[0], "logits")
        self.assertIn("present.0.key", outs)
        cfg = json.loads((self.out / "config.json").read_text())
        # The last hidden state, then the residual stream after every inner block (for discriminator heads).
        self.assertEqual(outs[outs.index("last_hidden_state"):],
                         ["last_hidden_state"] + [f"hidden_states.{i}" for i in range(1, cfg["n_layer"])])
        for k in ("model_type", "n_layer", "n_head", "n_embd", "n_positions", "vocab_size", "bos_token_id",
                  "eos_token_id"):
            self.assertIn(k, cfg)
        head = json.loads((self.out / "lm_head.json").read_text())
        self.assertEqual((self.out / "lm_head.bin").stat().st_size, 4 * head["shape"][0] * head["shape"][1])
        parity = json.loads((self.out / "parity.json").read_text())
        self.assertGreaterEqual(len(parity["texts"]), 10)

    def test_validation_perplexity_by_source(self):
        from plausibility_train.evaluate import load_any, source_perplexity
        model, tok = load_any(self.out)
        docs = Path(tempfile.mkdtemp()) / "validation.jsonl"
        rows = [{"source": "news", "text": "The council met on Monday."}, {"source": "news", "text": "Rain fell."},
                {"source": "fiction", "text": "She opened the door and smiled."}, {"source": "fiction", "text": ""}]
        docs.write_text("".join(json.dumps(r) + "\n" for r in rows))
        got = source_perplexity(model, tok, docs)
        self.assertEqual(sorted(got), ["fiction", "news"])
        self.assertEqual(got["news"]["docs"], 2)
        self.assertEqual(got["fiction"]["docs"], 1)  # an empty document is skipped
        for v in got.values():
            self.assertGreater(v["ppl"], 1.0)
            self.assertGreater(v["tokens"], 0)

    def test_eval_takes_blimp_from_the_cli(self):
        import argparse
        from plausibility_train.evaluate import run_eval
        d = Path(tempfile.mkdtemp())
        (d / "cli.json").write_text(json.dumps({"accuracy": 0.6, "pairs": 2, "macro_accuracy": 0.55,
                                                "per_paradigm": {"a": {"accuracy": 0.5}, "b": {"accuracy": 0.6}}}))
        args = argparse.Namespace(model=str(self.out), tokenizer=None, blimp=None, corpus=None, max_docs=0,
                                  by_source=None, cli_blimp=str(d / "cli.json"), out=str(d / "eval.json"))
        res = run_eval(args)
        self.assertEqual(res["blimp"]["accuracy"], 0.6)
        self.assertEqual(res["blimp"]["per_paradigm"], {"a": 0.5, "b": 0.6})
        self.assertEqual(json.loads((d / "eval.json").read_text())["blimp"]["paradigm_mean"], 0.55)

    def test_rebuild_from_onnx_matches(self):
        from plausibility_train.export import load_checkpoint
        from plausibility_train.rebuild import rebuild_from_onnx
        rebuilt = rebuild_from_onnx(self.out)
        orig = load_checkpoint(Fixture.get() / "exp-run" / "final.pt")
        ids = [[0, 5, 9, 33, 2, 7]]
        np.testing.assert_allclose(sequence_logprobs(rebuilt, ids), sequence_logprobs(orig, ids), atol=1e-6)

    @unittest.skipUnless(node_available(), "node_modules not installed")
    def test_onnxruntime_matches_pytorch(self):
        parity = json.loads((self.out / "parity.json").read_text())
        seqs = [t["ids"] for t in parity["texts"] if len(t["ids"]) > 1]
        res = subprocess.run(["node", str(HERE / "ort_logprobs.cjs"), str(self.out), json.dumps(seqs)],
                             capture_output=True, text=True, cwd=ROOT, timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        got = json.loads(res.stdout)
        cfg = json.loads((self.out / "config.json").read_text())
        self.assertEqual(got["shapes"]["last_hidden_state"], [1, len(seqs[-1]), cfg["n_embd"]])
        self.assertEqual(got["shapes"]["present.0.key"], [1, cfg["n_head"], len(seqs[-1]), cfg["n_embd"] // cfg["n_head"]])
        want = [t["logprobs"] for t in parity["texts"] if len(t["ids"]) > 1]
        for a, b in zip(got["logprobs"], want):
            np.testing.assert_allclose(a, b, atol=1e-4)
        from plausibility_train.export import load_checkpoint
        model = load_checkpoint(Fixture.get() / "exp-run" / "final.pt")
        middle = []
        with torch.no_grad():
            model.hidden(torch.tensor([seqs[-1]]), middle=middle)
        np.testing.assert_allclose(np.array(got["hidden1"]), middle[0].flatten().numpy(), atol=1e-4)


if __name__ == "__main__":
    unittest.main()
