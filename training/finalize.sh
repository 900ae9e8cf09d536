#!/usr/bin/env bash
# After `train` finishes: export the run to models/default, calibrate, evaluate, retrain the toxicity head for the new
# base model and write the model card.
# usage: training/finalize.sh [RUN_DIR] [MODEL_DIR]   (env: TOKENS, BLIMP, NOTES)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-training/runs/default}
OUT=${2:-models/default}
TOKENS=${TOKENS:-training/work/tokens-prose}
BLIMP=${BLIMP:-../shared/data/blimp-dev}
NOTES=${NOTES:-training/results/default/card_notes.md}
export PYTHONPATH=training
PY=/usr/bin/python3
$PY -m plausibility_train export --checkpoint "$RUN/final.pt" --tokens "$TOKENS" --out "$OUT"
$PY -m plausibility_train calibrate --model "$OUT"
# Perplexity in PyTorch; BLiMP through the CLI (onnxruntime-node, batched, several times faster; the two scorers
# agreed exactly on the previous model, and test/unit checks their per-token parity).
npm run build --silent
node dist/cli.js eval blimp "$BLIMP" --model "$OUT" --format json > "$RUN/cli_eval_blimp.json"
$PY -m plausibility_train eval --model "$OUT" --corpus "$TOKENS" --cli-blimp "$RUN/cli_eval_blimp.json" --out "$RUN/eval.json"
$PY -m plausibility_train conditioning --model "$OUT" --out "$RUN/conditioning.json"
npm run head:toxicity --silent
$PY -m plausibility_train card --model "$OUT" --run "$RUN" --tokens "$TOKENS" --eval "$RUN/eval.json" \
  --conditioning "$RUN/conditioning.json" --notes "$NOTES"
