/**
 * bench:clean: false alarms on clean, edited prose. Lints the first 20,000 words of each of the prose corpus's
 * validation shards (encyclopedic, recent encyclopedic, simple English, news, fiction) with the default settings,
 * one document per article, and counts findings: on this text every finding is a false alarm.
 * Prints per-source lines, then words=, findings= and last false_alarms_per_1000_words=.
 */
import { join } from 'node:path';
import { Engine } from '../src/core/engine';
import { DocumentLinter } from '../src/core/lint/linter';
import { defaultModelDir } from '../src/core/model/paths';
import { arg, corpusDir, shardDocuments } from './common';

const SOURCES = ['enwiki', 'enwiki_recent', 'simplewiki', 'wikinews', 'gutenberg'];

async function main(): Promise<void> {
  const dir = arg('corpus') ?? corpusDir();
  if (!dir) throw new Error('../shared/data/corpus not found (pass --corpus DIR)');
  const perSource = Number(arg('words', '20000'));
  const engine = await Engine.load(arg('model') ?? defaultModelDir(__dirname), { intraOpNumThreads: Number(arg('threads', '2')) });
  const t0 = performance.now();
  let words = 0;
  let findings = 0;
  const byRule = new Map<string, number>();
  for (const src of SOURCES) {
    const docs = shardDocuments(join(dir, `valid-${src}.jsonl.xz`), perSource);
    let w = 0;
    let f = 0;
    for (const d of docs) {
      const r = await new DocumentLinter(engine).lint(d.text, 'plaintext');
      w += d.text.split(/\s+/).filter(Boolean).length;
      f += r.findings.length;
      for (const x of r.findings) {
        byRule.set(x.rule, (byRule.get(x.rule) ?? 0) + 1);
        if (process.env.BENCH_SHOW) {
          const around = d.text.slice(Math.max(0, x.start - 50), x.end + 30).replace(/\s+/g, ' ');
          console.error(`${src}: ${x.rule} ${JSON.stringify(x.text)} -> ${JSON.stringify(x.replacement)} (${x.data.gainBits}) | ${around}`);
        }
      }
    }
    console.log(`${src}_words=${w} ${src}_findings=${f} ${src}_per_1000=${((1000 * f) / w).toFixed(2)}`);
    words += w;
    findings += f;
  }
  for (const [rule, n] of [...byRule].sort()) console.log(`rule_${rule.replace('plausibility/', '').replace(/-/g, '_')}=${n}`);
  console.log(`seconds=${((performance.now() - t0) / 1000).toFixed(1)}`);
  console.log(`words=${words}`);
  console.log(`findings=${findings}`);
  console.log(`false_alarms_per_1000_words=${((1000 * findings) / words).toFixed(3)}`);
  await engine.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
});
