#!/usr/bin/env bash
# One GPU lease (the `device` tool): unpack the carried token streams, train several configs at once on the one GPU
# (a model this small leaves most of an H200 idle), and write each run's weights to $OUT.
#   STAGE=unpack  decompress .gpu/*.xz into training/work/gpu (kept on a warm machine between calls)
#   STAGE=smoke   unpack, then 60 steps of each config: catches errors and measures tokens/s
#   STAGE=train   unpack, then MIN minutes of each config, concurrently; weights to $OUT as fp16 halves (16 MiB cap); `join` puts them back
# Usage: STAGE=train MIN=8 bash training/gpu.sh training/configs/g1-d192-l8.json training/configs/g1-d192-l12.json
set -u
export PYTHONPATH=training PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT" training/work/gpu
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
python3 - <<'PY'
import lzma, pathlib, shutil
src, dst = pathlib.Path(".gpu"), pathlib.Path("training/work/gpu")
for f in sorted(src.glob("*.xz")):
    out = dst / f.name[:-3]
    if not out.exists():
        with lzma.open(f) as a, open(out.with_suffix(".part"), "wb") as b:
            shutil.copyfileobj(a, b, 1 << 24)
        out.with_suffix(".part").replace(out)
parts = sorted(dst.glob("tok[A-Z].bin"))
with open(dst / "train.bin.part", "wb") as b:
    for p in parts:
        b.write(p.read_bytes())
(dst / "train.bin.part").replace(dst / "train.bin")
if (dst / "val.bin").exists():
    shutil.copy(dst / "val.bin", dst / "validation.bin")
for name in ("train", "validation"):  # the stream's metadata, as `tokenize` writes it
    n = (dst / f"{name}.bin").stat().st_size // 2
    (dst / f"{name}.json").write_text(f'{{"dtype": "uint16", "tokens": {n}}}')
print("train parts", [p.name for p in parts], "tokens", (dst / "train.bin").stat().st_size // 2, flush=True)
PY
[ "${STAGE:-train}" = unpack ] && exit 0
pids=()
for cfg in "$@"; do
  name=$(basename "$cfg" .json)
  if [ "${STAGE:-train}" = smoke ]; then
    set_args=(out_dir=training/runs/smoke-$name stop_at_step=60 log_every=20 eval_every=60 ckpt_every=1000)
  else
    set_args=(time_budget_min=${MIN:-8})
  fi
  python3 -m plausibility_train train --config "$cfg" --set "${set_args[@]}" > "$OUT/$name.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for cfg in "$@"; do
  name=$(basename "$cfg" .json); tail -n 4 "$OUT/$name.log"
done
[ "${STAGE:-train}" = smoke ] && exit 0
for cfg in "$@"; do  # each run's weights as two fp16 files (16 MiB cap on files brought back)
  python3 -m plausibility_train split "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["out_dir"])' "$cfg")" --out "$OUT"
done
