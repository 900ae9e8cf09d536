#!/usr/bin/env bash
# After a run on the v7 data (training/v7.sh, or a continuation such as configs/v8-prose-continued.json) finishes:
# export it to a staging folder, measure it (BLiMP-dev through the CLI, as the issue's target), and only if it beats
# the shipped model, move it into models/default and regenerate everything that depends on the model: surprisal
# stats, the verified-edit margins, the toxicity head.
# usage: training/finish-run.sh [RUN_NAME]   (default v7-prose-writing; env: FORCE=1 ships even when BLiMP does not improve)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=training
PY=/usr/bin/python3
NAME=${1:-v7-prose-writing}
RUN=training/runs/$NAME
W=training/work
STAGE=training/work/v7-model
OUT=models/default
BLIMP=../shared/data/blimp-dev
RESULTS=training/results/$NAME
mkdir -p "$RESULTS"
CKPT=$RUN/final.pt
[ -f "$CKPT" ] || CKPT=$RUN/checkpoint.pt

rm -rf "$STAGE"
$PY -m plausibility_train export --checkpoint "$CKPT" --tokenizer $W/tokenizer-v7 --tokens $W/tokens-v7 --out "$STAGE"
$PY -m plausibility_train calibrate --model "$STAGE" --corpus $W/corpus-v7
$PY -m plausibility_train words --corpus $W/corpus-v7 --min-count 3 --out "$STAGE/corpus_words.txt"
$PY -m plausibility_train collocations --corpus ../shared/data/corpus --out "$STAGE/collocations.tsv"
npm run build --silent
node dist/cli.js eval blimp "$BLIMP" --model "$STAGE" --format json > "$RESULTS/cli_eval_blimp.json"
NEW=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['accuracy'])" "$RESULTS/cli_eval_blimp.json")
# The shipped model's figure (written when a run ships; the first default model's before any did).
SHIPPED=training/results/shipped_cli_eval_blimp.json
[ -f $SHIPPED ] || SHIPPED=training/results/default/cli_eval_blimp.json
OLD=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['accuracy'])" $SHIPPED)
echo "BLiMP-dev: $NAME $NEW, shipped $OLD"
if [ "${FORCE:-0}" != 1 ] && ! $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$NEW" "$OLD"; then
  echo "$NAME does not beat the shipped model on BLiMP-dev; models/default is unchanged (FORCE=1 to ship anyway)"
  exit 3
fi

# Ship: the model files replace the old ones; the discriminators and the card are regenerated below.
for f in config.json generation_config.json lm_head.bin lm_head.json tokenizer.json tokenizer_config.json \
  special_tokens_map.json surprisal_stats.json conditioning.json parity.json corpus_words.txt collocations.tsv onnx/model.onnx; do
  cp "$STAGE/$f" "$OUT/$f"
done
rm -rf "$STAGE"
cp "$RESULTS/cli_eval_blimp.json" training/results/shipped_cli_eval_blimp.json
$PY -m plausibility_train eval --model "$OUT" --corpus $W/tokens-v7 --by-source $W/corpus-v7 \
  --cli-blimp "$RESULTS/cli_eval_blimp.json" --out "$RESULTS/eval.json"
$PY -m plausibility_train conditioning --model "$OUT" --corpus $W/corpus-v7 --out "$RESULTS/conditioning.json"

# The verified-edit margins and the toxicity head for the new weights.
bash training/regenerate.sh "$RESULTS"

# The model card: the run's recipe and curve, the evaluation above, and the hand-written notes of the run.
cp "$RUN/summary.json" "$RESULTS/summary.json" 2>/dev/null || true
NOTES=$RESULTS/card_notes.md
[ -f "$NOTES" ] || NOTES=training/results/default/card_notes.md
$PY -m plausibility_train card --model "$OUT" --run "$RUN" --corpus $W/corpus-v7 --tokens $W/tokens-v7 \
  --eval "$RESULTS/eval.json" --conditioning "$RESULTS/conditioning.json" --notes "$NOTES"
