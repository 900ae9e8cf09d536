// Encode strings with @huggingface/tokenizers (the engine's tokenizer) for the parity test.
// usage: node js_encode.cjs TOKENIZER_DIR < JSON list of strings -> JSON list of id lists
const fs = require('fs');
const path = require('path');
(async () => {
  const { Tokenizer } = await import('@huggingface/tokenizers');
  const dir = process.argv[2];
  const tok = new Tokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')),
    JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids);
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
