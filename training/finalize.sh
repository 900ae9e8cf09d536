#!/usr/bin/env bash
# After `train` finishes: export the run to models/default, calibrate, evaluate and write the model card.
# usage: training/finalize.sh [RUN_DIR] [MODEL_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-training/runs/default}
OUT=${2:-models/default}
BLIMP=${BLIMP:-../shared/data/blimp-dev}
export PYTHONPATH=training
PY=/usr/bin/python3
$PY -m plausibility_train export --checkpoint "$RUN/final.pt" --out "$OUT"
$PY -m plausibility_train calibrate --model "$OUT"
$PY -m plausibility_train eval --model "$OUT" --corpus training/work/tokens --blimp "$BLIMP" --out "$RUN/eval.json"
$PY -m plausibility_train conditioning --model "$OUT" --out "$RUN/conditioning.json"
$PY -m plausibility_train card --model "$OUT" --run "$RUN" --eval "$RUN/eval.json" --conditioning "$RUN/conditioning.json"
