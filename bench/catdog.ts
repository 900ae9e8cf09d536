/**
 * The cat/dog product-of-experts experiment reported in the README (a reported figure, not a test): 8 samples
 * after "I am a cat." alone, after "I am a dog." alone, and from the product of both, each scored by its conditional
 * NLL under both contexts (the expert not in a setting has weight 0: it does not vote but reports its NLL).
 *
 *   npx esbuild bench/catdog.ts --bundle --platform=node --external:onnxruntime-node --outfile=dist/bench/catdog.js
 *   node dist/bench/catdog.js [MODEL_DIR]
 */
import { Engine, generatePoe } from '../src/core';
(async () => {
  const dir = process.argv[2] ?? 'models/default';
  const e = await Engine.load(dir, { intraOpNumThreads: 2 });
  const cat = 'I am a cat.';
  const dog = 'I am a dog.';
  const settings: [string, number, number][] = [
    ['"I am a cat." alone', 1, 0],
    ['"I am a dog." alone', 0, 1],
    ['PoE of both', 1, 1],
  ];
  const rows: string[] = [];
  const summary: string[] = [];
  for (const [name, wc, wd] of settings) {
    let sc = 0, sd = 0, nt = 0;
    const n = 8;
    const res = await generatePoe(e, [{ context: cat, weight: wc }, { context: dog, weight: wd }], {
      samples: n, seed: 1, temperature: 1, topP: 0.95, maxTokens: 20, stop: { sentence: true }, prompt: '',
    });
    for (const s of res.samples) {
      const c = s.experts[0].condNll, d = s.experts[1].condNll;
      sc += c; sd += d; nt += s.ids.length;
      rows.push(`| ${name} | ${JSON.stringify(s.text.trim()).replace(/\|/g, '\\|')} | ${c.toFixed(2)} | ${d.toFixed(2)} |`);
    }
    summary.push(`| ${name} | ${n} | ${(nt / n).toFixed(1)} | ${(sc / n).toFixed(2)} | ${(sd / n).toFixed(2)} | ${(sc / nt).toFixed(2)} | ${(sd / nt).toFixed(2)} |`);
  }
  console.log('| generated from | samples | mean tokens | mean NLL given "I am a cat." | mean NLL given "I am a dog." | NLL/token given cat | NLL/token given dog |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(summary.join('\n'));
  console.log();
  console.log('| generated from | continuation | NLL given "I am a cat." | NLL given "I am a dog." |');
  console.log('|---|---|---|---|');
  console.log(rows.join('\n'));
})();
