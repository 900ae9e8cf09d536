/**
 * bench:toxicity: the shipped toxicity head on data it was never tuned on (see src/core/heads/toxicityEval.ts). Prints
 * plain fractions, one `name=value` per line, `clean_false_alarm_rate=` last.
 *
 *   npm run bench:toxicity [-- --model DIR --head PATH --data-dir DIR --insults FILE]
 */
import { join } from 'node:path';
import { Engine } from '../src/core';
import { ClassifierHead } from '../src/core/heads/discriminator';
import { benchLines, benchToxicity } from '../src/core/heads/toxicityEval';
import { arg } from './common';

async function main(): Promise<number> {
  const root = join(__dirname, '..', '..');
  const modelDir = arg('model', join(root, 'models', 'default'));
  const dataDir = arg('data-dir', join(root, '..', 'shared', 'data'));
  const insultsPath = arg('insults', join(root, 'bench', 'data', 'insults.txt'));
  const t0 = Date.now();
  const engine = await Engine.load(modelDir!, { intraOpNumThreads: 2 });
  const head = ClassifierHead.forEngine(engine, arg('head', 'toxicity')!);
  const b = await benchToxicity(engine, head, { dataDir: dataDir!, insultsPath: insultsPath!, onProgress: (m) => console.error(`bench:toxicity: ${m}`) });
  for (const m of b.insults_missed) console.error(`missed insult: ${m}`);
  for (const s of b.clean_flagged) console.error(`flagged clean: ${s}`);
  console.error(`bench:toxicity: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const l of benchLines(b)) console.log(l);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`bench:toxicity: ${(e as Error).message}`);
    process.exit(2);
  },
);
