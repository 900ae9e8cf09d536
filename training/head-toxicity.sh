#!/usr/bin/env bash
# The toxicity head of a model folder (default models/default), by the recipe with the committed contrast sentences
# and dev lists: `npm run head:toxicity` for the shipped model, training/regenerate.sh for a staged one. Needs a build.
# usage: training/head-toxicity.sh [MODEL_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-models/default}
T=training/toxicity
mkdir -p "$OUT/discriminators/toxicity"
node dist/cli.js discrim train --recipe toxicity --data-dir ../shared/data --insults bench/data/insults.txt --threads 2 \
  --contrast $T/contrast.csv --dev-insults $T/dev-insults.txt --dev-polite $T/dev-polite.txt --dev-hate $T/dev-hate.txt \
  --dev-group-benign $T/dev-group-benign.txt --model "$OUT" --out "$OUT/discriminators/toxicity/head.json" \
  --metrics "$OUT/discriminators/toxicity/metrics.json"
