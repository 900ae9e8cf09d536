/**
 * The `plausibility` command-line tool.
 *
 *   plausibility score FILE|-            per-token surprisal
 *   plausibility lint FILES...           flag errors with a verified fix (exit 0 none, 1 findings, 2 error)
 *   plausibility rank --context TEXT CAND...   rank candidates by conditional NLL
 *   plausibility perplexity FILE|-       sequence metrics
 *   plausibility eval blimp DIR          BLiMP-style minimal-pair accuracy
 *
 * With --format json, stdout holds only the JSON document; progress and warnings go to stderr.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Engine, EngineOptions, providerLabel } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { checkModelFiles } from '../core/model/modelCheck';
import { defaultModelDir } from '../core/model/paths';
import { parseArgs, ParsedArgs } from './args';
import { cmdDiscrim, DISCRIM_USAGE, DISCRIM_VALUE_FLAGS } from './discrim';
import { cmdGenerate, GEN_BOOL_FLAGS, GEN_USAGE, GEN_VALUE_FLAGS, takeExperts } from './generate';
import { cmdLint } from './lint';
import { cmdEvalDetect } from './evalDetect';
import { cmdRewrite, REWRITE_VALUE_FLAGS } from './rewrite';
import { cmdTags } from './tags';
import { cmdScore, cmdPerplexity } from './score';
import { readInput } from './input';
import type { Common } from './common';
import { checkModelLimits, validateNumericOptions } from './options';
import { Out } from './out';
import { rankContinuations } from '../server/rank';
import { cmdLsp } from './lsp';

const VERSION = '0.1.0';

// onnxruntime 1.30 on Linux starts a telemetry client when its environment is created (the first session). That
// client reads /proc/self/cmdline and scans it recursively, so a command line over ~29 KB (570 paths from
// `git ls-files`) overflows the main thread's stack: SIGSEGV inside libonnxruntime. Opting out skips that code.
// It must be set before the first session is created; an explicit value from the user is kept.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const USAGE = `Usage: plausibility <command> [options]

Commands:
  score FILE|-                 Per-token surprisal (nll, prob, rank, entropy, top-k alternatives)
  lint FILES...                Flag errors with a verified fix; exit 0 = none, 1 = findings, 2 = error.
                               FILES may be folders (walked for .md .markdown .txt .tex .rst, skipping
                               dot-folders and node_modules) or quoted globs ('docs/**/*.md')
  rank --context TEXT CAND...  Rank candidate continuations by conditional NLL (lowest first)
  lsp --stdio                  Run the language server (LSP over stdin/stdout) for Neovim, Helix, Emacs...
  perplexity FILE|-            Token perplexity, bits per byte, word perplexity
  eval blimp DIR               Minimal-pair accuracy over DIR/*.jsonl (sentence_good/sentence_bad)
  eval detect FILE.jsonl       Error detection on erroneous/corrected sentence pairs (gec-dev format): sentence
                               recall, false-alarm rate, precision, F0.5, and span precision/recall/F0.5
${DISCRIM_USAGE}${GEN_USAGE}
Options:
  --format text|json|sarif     Output format (sarif: lint only). Default text.
  --model DIR                  Model folder (default: the bundled models/default)
  --surprise                   lint: also flag surprising words and phrases (plausibility/word, /phrase; off by default)
  --toxicity                   lint: also flag sentences the toxicity head scores as likely toxic (off by default)
  --disable RULE[,RULE]        lint: turn rules off (spelling, word-choice, missing-word, extra-word, word-order,
                               capitalization, front-matter, word, phrase)
  --dialect en-US|en-GB        lint: the writer's English (default en-US); --only-dialect rejects the other's spellings
  --threshold BITS             lint --surprise: token surprisal threshold in bits (default: calibrated from the model)
  --percentile P               lint: calibrated percentile (default 99)
  --calibration model|document lint: threshold source (default model when surprisal_stats.json exists)
  --max-bytes N                lint/score/perplexity: files larger than N bytes are an error (exit 2), not
                               checked (default 2000000; 0 = no limit)
  --skip-large                 lint: skip files over --max-bytes with a notice instead of failing
  --per-token                  rank: rank by NLL per token instead of total NLL
  --top-k K                    score: alternatives per token (default 5)
  --window N --stride N        sliding-window length and new tokens per window for long documents
  --threads N                  onnxruntime intra-op threads
  --provider EP[,EP...]        execution providers to try before cpu (auto, cuda, dml, coreml, webgpu, cpu)
  --variant V                  ONNX precision variant: fp32 (default), fp16, quantized, or a file name under onnx/
  --verbose                    timings, model and provider details on stderr
  --version, --help
`;

const VALUE_FLAGS = new Set([
  'format',
  'model',
  'threshold',
  'percentile',
  'calibration',
  'max-bytes',
  'top-k',
  'window',
  'stride',
  'threads',
  'provider',
  'variant',
  'context',
  'batch-rows',
  'disable',
  'dialect',
  ...DISCRIM_VALUE_FLAGS,
  ...GEN_VALUE_FLAGS,
  ...REWRITE_VALUE_FLAGS,
]);
const BOOL_FLAGS = new Set(['verbose', 'help', 'version', 'per-token', 'no-markdown', 'skip-large', 'surprise', 'toxicity', 'only-dialect', ...GEN_BOOL_FLAGS]);

/** Options shared by all commands. */
export type { Common } from './common';

function makeCommon(args: ParsedArgs, out: Out, command: string): Common {
  const fmt = (args.options.get('format') as string | undefined) ?? 'text';
  if (fmt !== 'text' && fmt !== 'json' && fmt !== 'sarif')
    throw new PlausibilityError(`--format must be text, json or sarif (got "${fmt}")`, 'USAGE');
  const verbose = args.options.has('verbose');
  const modelDir = (args.options.get('model') as string | undefined) ?? defaultModelDir(__dirname);
  const numbers = validateNumericOptions(args.options, command);
  const num = (name: string, def?: number): number | undefined => {
    if (numbers.has(name)) return numbers.get(name);
    const v = args.options.get(name);
    if (v === undefined || v === true) return def;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new PlausibilityError(`--${name} must be a number (got "${v}")`, 'USAGE');
    return n;
  };
  let engine: Engine | undefined;
  return {
    args,
    format: fmt,
    verbose,
    out,
    modelDir,
    num,
    async loadEngine() {
      if (engine) return engine;
      const t0 = Date.now();
      const opts: EngineOptions = { log: (m) => out.info(m) };
      const threads = num('threads');
      if (threads) opts.intraOpNumThreads = threads;
      const prov = args.options.get('provider');
      if (typeof prov === 'string') opts.executionProviders = prov.split(',').map((s) => s.trim()).filter(Boolean);
      const variant = args.options.get('variant');
      if (typeof variant === 'string') opts.variant = variant;
      // Damaged folders get coded errors here (exit 2) instead of failing at inference.
      checkModelFiles(modelDir, opts.variant ?? 'fp32');
      const loaded = await Engine.load(modelDir, opts);
      try {
        checkModelLimits(numbers, loaded.config);
      } catch (e) {
        await loaded.dispose();
        throw e;
      }
      engine = loaded;
      if (verbose) {
        const i = engine.info;
        out.info(
          `model ${i.modelDir} [onnx/${basename(i.onnxFile)}] (${engine.config.modelType}, ${engine.config.numLayers} layers, vocab ${engine.config.vocabSize}, ` +
            `context ${engine.config.maxPositions}) loaded in ${Date.now() - t0} ms on provider ${providerLabel(i)}` +
            (i.skippedProviders.length ? ` (skipped: ${i.skippedProviders.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''),
        );
        if (!i.hasHiddenState) out.info('this model does not export last_hidden_state (discriminator features unavailable)');
        if (!i.hasLmHead) out.info('this model has no lm_head.bin (LM-head features unavailable)');
        if (!engine.stats) out.info('this model has no surprisal_stats.json; lint thresholds use per-document z-scores');
      }
      return engine;
    },
  };
}

async function cmdRank(c: Common): Promise<number> {
  const ctx = c.args.options.get('context');
  if (typeof ctx !== 'string') throw new PlausibilityError('rank needs --context TEXT', 'USAGE');
  const cands = c.args.positionals;
  if (cands.length === 0) throw new PlausibilityError('rank needs at least one candidate', 'USAGE');
  const engine = await c.loadEngine();
  const sorted = await rankContinuations(engine, ctx, cands, { perToken: c.args.options.has('per-token'), window: c.num('window'), stride: c.num('stride') });
  if (c.format === 'json') c.out.json(sorted);
  else {
    sorted.forEach((r, i) =>
      c.out.line(
        `${String(i + 1).padStart(3)}. nll=${r.nll.toFixed(3)} tokens=${r.tokens} nll/token=${r.nll_per_token === null ? '-' : r.nll_per_token.toFixed(3)}  ${JSON.stringify(r.text)}`,
      ),
    );
  }
  return 0;
}

async function cmdEval(c: Common): Promise<number> {
  const [what, dir] = c.args.positionals;
  if (what === 'detect') return cmdEvalDetect(c, dir);
  if (what !== 'blimp') throw new PlausibilityError('usage: plausibility eval blimp DIR | eval detect FILE.jsonl [--format json]', 'USAGE');
  if (!dir) throw new PlausibilityError('eval blimp needs a folder of *.jsonl files', 'USAGE');
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
  } catch {
    throw new PlausibilityError(`no such folder: ${dir}`, 'ENOENT');
  }
  if (files.length === 0) throw new PlausibilityError(`no *.jsonl files in ${dir}`, 'USAGE');
  const pairs: { paradigm: string; good: string; bad: string }[] = [];
  for (const f of files) {
    const paradigm = basename(f, '.jsonl');
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let o: { sentence_good?: unknown; sentence_bad?: unknown };
      try {
        o = JSON.parse(line);
      } catch {
        throw new PlausibilityError(`${join(dir, f)}:${i + 1}: not valid JSON`, 'BAD_INPUT');
      }
      if (typeof o.sentence_good !== 'string' || typeof o.sentence_bad !== 'string')
        throw new PlausibilityError(`${join(dir, f)}:${i + 1}: needs string fields sentence_good and sentence_bad`, 'BAD_INPUT');
      pairs.push({ paradigm, good: o.sentence_good, bad: o.sentence_bad });
    });
  }
  const engine = await c.loadEngine();
  const t0 = Date.now();
  const texts = pairs.flatMap((p) => [p.good, p.bad]);
  const lps = await engine.sequenceLogprobs(texts, { batchRows: c.num('batch-rows') });
  const per: Record<string, { accuracy: number; pairs: number; correct: number }> = {};
  let correct = 0;
  pairs.forEach((p, i) => {
    const ok = lps[2 * i] > lps[2 * i + 1];
    const e = (per[p.paradigm] ??= { accuracy: 0, pairs: 0, correct: 0 });
    e.pairs++;
    if (ok) {
      e.correct++;
      correct++;
    }
  });
  const perParadigm: Record<string, { accuracy: number; pairs: number }> = {};
  for (const [k, v] of Object.entries(per)) perParadigm[k] = { accuracy: v.correct / v.pairs, pairs: v.pairs };
  const accs = Object.values(perParadigm).map((v) => v.accuracy);
  const result = {
    accuracy: correct / pairs.length,
    pairs: pairs.length,
    macro_accuracy: accs.reduce((a, b) => a + b, 0) / accs.length,
    per_paradigm: perParadigm,
    model: engine.info.modelDir,
    seconds: (Date.now() - t0) / 1000,
  };
  if (c.verbose) c.out.info(`scored ${texts.length} sentences in ${result.seconds.toFixed(1)} s`);
  if (c.format === 'json') c.out.json(result);
  else {
    for (const [k, v] of Object.entries(perParadigm)) c.out.line(`${v.accuracy.toFixed(3)}  ${String(v.pairs).padStart(5)}  ${k}`);
    c.out.line(`accuracy ${result.accuracy.toFixed(4)} over ${result.pairs} pairs (macro ${result.macro_accuracy.toFixed(4)})`);
  }
  return 0;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], out: Out = new Out()): Promise<number> {
  // The language server owns stdin/stdout and its own options (the LSP transport flags).
  if (argv[0] === 'lsp') return cmdLsp(argv.slice(1), out);
  let args: ParsedArgs;
  let experts: ReturnType<typeof takeExperts>['experts'] = [];
  try {
    ({ argv, experts } = takeExperts(argv));
    args = parseArgs(argv, VALUE_FLAGS, BOOL_FLAGS);
  } catch (e) {
    out.error((e as Error).message);
    return 2;
  }
  if (args.options.has('version')) {
    out.line(VERSION);
    return 0;
  }
  const cmd = args.positionals.shift();
  if (args.options.has('help') || !cmd) {
    if (cmd || args.options.has('help')) {
      out.line(USAGE);
      return 0;
    }
    out.errRaw(USAGE);
    return 2;
  }
  let c: Common;
  try {
    c = makeCommon(args, out, cmd);
  } catch (e) {
    out.error((e as Error).message);
    return 2;
  }
  if (c.format === 'sarif' && cmd !== 'lint') {
    out.error('--format sarif is only supported by lint');
    return 2;
  }
  try {
    switch (cmd) {
      case 'score':
        return await cmdScore(c);
      case 'lint':
        return await cmdLint(c);
      case 'rank':
        return await cmdRank(c);
      case 'perplexity':
        return await cmdPerplexity(c);
      case 'eval':
        return await cmdEval(c);
      case 'generate':
        return await cmdGenerate(c, experts);
      case 'rewrite':
        return await cmdRewrite(c);
      case 'tags':
        return await cmdTags(c);
      case 'discrim':
        return await cmdDiscrim(c);
      default:
        out.error(`unknown command "${cmd}" (commands: score, lint, rank, perplexity, eval)`);
        return 2;
    }
  } catch (e) {
    if (e instanceof PlausibilityError) out.error(e.message);
    else out.error(`unexpected error: ${(e as Error)?.message ?? String(e)}`);
    if (c.verbose && e instanceof Error && e.stack) out.errRaw(e.stack + '\n');
    return 2;
  }
}

export { readInput };

if (require.main === module) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2)).then(
    async (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`plausibility: error: ${(e as Error)?.message ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
