// Per-token log-probabilities from onnxruntime-node for the Python export tests.
// usage: node ort_logprobs.cjs MODEL_DIR '[[ids...], ...]'  -> JSON {names, shapes, logprobs, hidden1}
// (hidden1: the last sequence's hidden_states.1, flat, when the model exports it)
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
(async () => {
  const [dir, idsJson] = process.argv.slice(2);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const s = await ort.InferenceSession.create(path.join(dir, 'onnx', 'model.onnx'));
  const hd = cfg.n_embd / cfg.n_head;
  const out = { inputs: s.inputNames, outputs: s.outputNames, logprobs: [], shapes: {} };
  for (const ids of JSON.parse(idsJson)) {
    const n = ids.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, n]),
    };
    for (let l = 0; l < cfg.n_layer; l++) for (const k of ['key', 'value'])
      feeds[`past_key_values.${l}.${k}`] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.n_head, 0, hd]);
    const r = await s.run(feeds);
    for (const [k, v] of Object.entries(r)) out.shapes[k] = v.dims;
    if (r['hidden_states.1']) out.hidden1 = Array.from(r['hidden_states.1'].data);
    const V = cfg.vocab_size, L = r.logits.data, lp = [];
    for (let t = 0; t + 1 < n; t++) {
      let m = -Infinity; for (let j = 0; j < V; j++) m = Math.max(m, L[t * V + j]);
      let z = 0; for (let j = 0; j < V; j++) z += Math.exp(L[t * V + j] - m);
      lp.push(L[t * V + ids[t + 1]] - m - Math.log(z));
    }
    out.logprobs.push(lp);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e.message); process.exit(1); });
