#!/usr/bin/env bash
# After training/v7.sh finishes: export the run to a staging folder, measure it (BLiMP-dev through the CLI, as the
# issue's target), and only if it beats the shipped model, move it into models/default and regenerate everything
# that depends on the model: surprisal stats, the verified-edit margins, the toxicity head.
# usage: training/finish-v7.sh            (env: FORCE=1 ships even when BLiMP does not improve)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=training
PY=/usr/bin/python3
RUN=training/runs/v7-prose-writing
W=training/work
STAGE=training/work/v7-model
OUT=models/default
BLIMP=../shared/data/blimp-dev
RESULTS=training/results/v7-prose-writing
mkdir -p "$RESULTS"
CKPT=$RUN/final.pt
[ -f "$CKPT" ] || CKPT=$RUN/checkpoint.pt

rm -rf "$STAGE"
$PY -m plausibility_train export --checkpoint "$CKPT" --tokenizer $W/tokenizer-v7 --tokens $W/tokens-v7 --out "$STAGE"
$PY -m plausibility_train calibrate --model "$STAGE" --corpus $W/corpus-v7
npm run build --silent
node dist/cli.js eval blimp "$BLIMP" --model "$STAGE" --format json > "$RESULTS/cli_eval_blimp.json"
NEW=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['accuracy'])" "$RESULTS/cli_eval_blimp.json")
OLD=$($PY -c "import json; print(json.load(open('training/results/default/cli_eval_blimp.json'))['accuracy'])")
echo "BLiMP-dev: v7 $NEW, shipped $OLD"
if [ "${FORCE:-0}" != 1 ] && ! $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$NEW" "$OLD"; then
  echo "v7 does not beat the shipped model on BLiMP-dev; models/default is unchanged (FORCE=1 to ship anyway)"
  exit 3
fi

# Ship: the model files replace the old ones; the discriminators and the card are regenerated below.
for f in config.json generation_config.json lm_head.bin lm_head.json tokenizer.json tokenizer_config.json \
  special_tokens_map.json surprisal_stats.json conditioning.json parity.json onnx/model.onnx; do
  cp "$STAGE/$f" "$OUT/$f"
done
rm -rf "$STAGE"
$PY -m plausibility_train eval --model "$OUT" --corpus $W/tokens-v7 --out "$RESULTS/eval.json"
$PY -m plausibility_train conditioning --model "$OUT" --corpus $W/corpus-v7 --out "$RESULTS/conditioning.json"

# The verified-edit margins for this model (scripts/edit-gains.ts, scripts/calibrate-margins.py).
npx esbuild scripts/edit-gains.ts --bundle --platform=node --target=node20 --external:onnxruntime-node \
  --external:onnxruntime-web --outfile=out/scripts/edit-gains.js --log-level=warning
MODEL=$OUT node out/scripts/edit-gains.js ../shared/data/gec-dev/jfleg-dev.jsonl ../shared/data/corpus "$RESULTS/edit_gains.json"
$PY scripts/calibrate-margins.py "$RESULTS/edit_gains.json" "$OUT/verify_margins.json" --clean-per-1000 1.3 --far 0.08

# The toxicity head on the new hidden states.
npm run head:toxicity --silent
