/**
 * bench:cold: every finding of a 5,000-word document from a cold start, as the editor gets them: start the language
 * server (`node dist/server.js --stdio`), initialize, open the document, and wait for its first publishDiagnostics
 * (the server loads the model at `initialized`, then lints the whole document). The document is the first 5,000
 * words of the prose corpus's validation news shard. Prints words=, findings= (diagnostics), load_seconds= (until the
 * server logs the model loaded), lint_seconds= (from then to the diagnostics), and last cold_seconds=.
 * Options: --corpus DIR, --words N, --model DIR, --server FILE (default dist/server.js).
 */
import { join, resolve } from 'node:path';
import { defaultModelDir } from '../src/core/model/paths';
import { arg, corpusDir, shardDocuments } from './common';
import { LspSession } from './lspSession';

async function main(): Promise<void> {
  const dir = arg('corpus') ?? corpusDir();
  if (!dir) throw new Error('../shared/data/corpus not found (pass --corpus DIR)');
  const doc = shardDocuments(join(dir, 'valid-wikinews.jsonl.xz'), Number(arg('words', '5000')))
    .map((d) => `# ${d.title}\n\n${d.text}`)
    .join('\n\n');
  const modelDir = resolve(arg('model') ?? defaultModelDir(__dirname));
  const t0 = performance.now();
  const session = await LspSession.start({
    serverPath: arg('server'),
    settings: { model: modelDir, executionProvider: 'cpu' },
    onMessage: (type, m) => type <= 2 && process.stderr.write(`server: ${m}\n`),
  });
  const uri = 'file:///plausibility-bench/cold.md';
  const { params, at: t1 } = await session.waitForDiagnostics(uri, session.open(uri, doc));
  const loaded = session.model?.at;
  console.log(`words=${doc.split(/\s+/).filter(Boolean).length} findings=${params.diagnostics.length}`);
  if (loaded !== undefined) console.log(`load_seconds=${((loaded - t0) / 1000).toFixed(2)} lint_seconds=${((t1 - loaded) / 1000).toFixed(2)}`);
  console.log(`cold_seconds=${((t1 - t0) / 1000).toFixed(2)}`);
  await session.shutdown();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
