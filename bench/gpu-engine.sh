#!/usr/bin/env bash
# Engine throughput on a lent GPU's providers (the `device` tool), for BENCHMARKS.md's GPU section.
# The lease has Python but no Node.js, so Node, onnxruntime-node's linux-x64 binding and the CLI travel with it.
#   here:  bash bench/gpu-engine.sh prepare   -> .gpu2/ (node, onnxruntime-node, cli.js, a 57k-token text) and .gl/
#          (Vulkan and EGL loaders, for webgpu); untrack the large files for the call (the tree travels, 64 MiB in all)
#          and carry [".gpu2", ".gl"]. The fp32 model does not fit beside them: the fp16-weight variant
#          (`export --fp16-weights`, float32 arithmetic, the same figures) is written to onnx/model_fp16w.onnx.
#   there: bash bench/gpu-engine.sh run       -> per provider: "N tokens in X ms" and the NLL, for webgpu then cpu
set -u
case "${1:-}" in
prepare)
  set -e
  mkdir -p .gpu2 .gl /tmp/ortp/onnxruntime-node/bin/napi-v6/linux /tmp/amd64/partial
  grep -qx '/.gpu2/' .git/info/exclude || echo /.gpu2/ >> .git/info/exclude
  grep -qx '/.gl/' .git/info/exclude || echo /.gl/ >> .git/info/exclude
  xz -6 -c "$(readlink -f "$(command -v node)")" > .gpu2/node.xz
  cp -r node_modules/onnxruntime-node/{package.json,dist,lib} /tmp/ortp/onnxruntime-node/
  cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 /tmp/ortp/onnxruntime-node/bin/napi-v6/linux/
  cp -r node_modules/onnxruntime-common /tmp/ortp/
  tar -C /tmp/ortp -cf - onnxruntime-node onnxruntime-common | xz -6 > .gpu2/ort.tar.xz
  cp dist/cli.js .gpu2/cli.js
  xz -dc ../shared/data/corpus/valid-enwiki.jsonl.xz | python3 -c \
    "import sys, json; sys.stdout.write('\n\n'.join(json.loads(l)['text'] for l in sys.stdin))" | head -c 240000 > .gpu2/text.txt
  PYTHONPATH=training /usr/bin/python3 -c "from pathlib import Path; from plausibility_train.export import write_fp16_weights as w; \
w(Path('models/default/onnx/model.onnx'), Path('models/default/onnx/model_fp16w.onnx'))"
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq && (cd .gl && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  du -ch .gpu2/* .gl | tail -1 ;;
run)
  OUT=${OUT:-/tmp/gpu-engine}
  mkdir -p "$OUT"
  for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  python3 -c "import lzma, shutil; shutil.copyfileobj(lzma.open('.gpu2/node.xz'), open('/tmp/node', 'wb'))" && chmod +x /tmp/node
  mkdir -p node_modules dist && python3 -c "import tarfile; tarfile.open('.gpu2/ort.tar.xz').extractall('node_modules')"
  cp .gpu2/cli.js dist/cli.js
  /tmp/node --version; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  for run in webgpu-1 webgpu-2 cpu; do
    timeout 120 /tmp/node dist/cli.js perplexity .gpu2/text.txt --model models/default --variant model_fp16w.onnx \
      --provider "${run%-*}" --verbose --format json > "$OUT/$run.json" 2> "$OUT/$run.err"
    echo "== $run rc=$?"; grep -v chunk "$OUT/$run.err" | tail -4; grep -m1 nll_per_token "$OUT/$run.json"
  done ;;
*) echo "usage: bash bench/gpu-engine.sh prepare|run" >&2; exit 2 ;;
esac
