/**
 * bench:cold: every finding of a 5,000-word document from a cold start, as the editor gets them: start the engine
 * worker, load the model, lint the whole document through the worker protocol. The document is the first 5,000 words
 * of the prose corpus's validation news shard. Prints words=, findings= and last cold_seconds=.
 */
import { join } from 'node:path';
import { defaultModelDir } from '../src/core/model/paths';
import { EngineClient } from '../src/worker/client';
import { DocumentScorer } from '../src/worker/document';
import { arg, corpusDir, shardDocuments } from './common';

async function main(): Promise<void> {
  const dir = arg('corpus') ?? corpusDir();
  if (!dir) throw new Error('../shared/data/corpus not found (pass --corpus DIR)');
  const doc = shardDocuments(join(dir, 'valid-wikinews.jsonl.xz'), Number(arg('words', '5000')))
    .map((d) => `# ${d.title}\n\n${d.text}`)
    .join('\n\n');
  const t0 = performance.now();
  const client = new EngineClient({ workerPath: join(__dirname, '..', 'worker.js') });
  const info = await client.load({ modelDir: arg('model') ?? defaultModelDir(__dirname), executionProvider: 'cpu' });
  const loaded = performance.now();
  const scorer = new DocumentScorer(client);
  scorer.setModel(info);
  const r = await scorer.score(doc, 'markdown');
  const t1 = performance.now();
  console.log(`words=${doc.split(/\s+/).filter(Boolean).length} blocks=${r.blocks.length} findings=${r.findings.length}`);
  console.log(`load_seconds=${((loaded - t0) / 1000).toFixed(2)} lint_seconds=${((t1 - loaded) / 1000).toFixed(2)}`);
  console.log(`cold_seconds=${((t1 - t0) / 1000).toFixed(2)}`);
  await client.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
