#!/usr/bin/env bash
# One GPU lease (the `device` tool): unpack the carried token streams, train several configs at once on the one GPU
# (a model this small leaves most of an H200 idle), and write each run's weights to $OUT.
#   STAGE=unpack  decompress .gpu/*.xz into training/work/gpu (kept on a warm machine between calls)
#   STAGE=smoke   unpack, then 60 steps of each config: catches errors and measures tokens/s
#   STAGE=train   unpack, then MIN minutes of each config, concurrently; weights to $OUT as fp16 halves (16 MiB cap)
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
python3 - "$OUT" "$@" <<'PY'
import json, sys, pathlib, torch
out = pathlib.Path(sys.argv[1])
for cfg in sys.argv[2:]:
    run = pathlib.Path(json.loads(pathlib.Path(cfg).read_text())["out_dir"])
    src = run / "final.pt" if (run / "final.pt").exists() else run / "checkpoint.pt"
    st = torch.load(src, map_location="cpu")
    sd = {k: v.half() for k, v in st["model"].items()}
    halves, sizes = ({}, {}), [0, 0]
    for k in sorted(sd, key=lambda k: -sd[k].numel()):  # two files of about equal size
        i = sizes.index(min(sizes))
        halves[i][k] = sd[k]
        sizes[i] += sd[k].numel()
    meta = {"config": st.get("config") or st["train_config"]["model"], "source": str(src)}
    summary = json.loads((run / "summary.json").read_text()) if (run / "summary.json").exists() else {}
    for i in range(2):
        torch.save({"model": halves[i], **meta, "summary": summary if i == 0 else {}}, out / f"{run.name}.w{i}.pt")
    print("saved", run.name, flush=True)
PY
