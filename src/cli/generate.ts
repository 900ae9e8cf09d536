/**
 * `plausibility generate [--prompt TEXT] [--expert CONTEXT --weight W]... [--temperature T --top-k K --top-p P
 * --seed S --max-tokens N]`: sampling from the model, or from a product of experts (one per --expert).
 */
import { InputError, PlausibilityError } from '../core/errors';
import { Expert, generatePoe } from '../core/generation/poe';
import type { Common } from './common';
import { cmdGenerateSteered } from './steer';

/** Value flags of generate, rewrite, tags and `score --tags` (registered in main.ts). */
export const GEN_VALUE_FLAGS = [
  'prompt',
  'temperature',
  'top-p',
  'seed',
  'max-tokens',
  'stop',
  'line',
  'col',
  'length',
  'tags',
  'synopsis',
  'cfg',
  'count',
  'samples',
];
export const GEN_BOOL_FLAGS = ['greedy', 'no-cache'];

export const GEN_USAGE = `  generate [--prompt TEXT] [--expert CONTEXT --weight W]...
                               Sample a continuation (product of experts: one per --expert; a negative
                               --weight makes an anti-expert). --temperature T --top-k K --top-p P --seed S
                               --max-tokens N --greedy --stop eos|newline|sentence
  rewrite FILE --line L --col C --length N
                               Ranked replacements for a span (1-based line/col, UTF-16 units) as JSON;
                               --tags "a, b" --synopsis TEXT --cfg W (tag expert weight) --count K
  tags FILE                    Rank the model's known tags by P(text | tags) (zero-shot genre)
  score FILE --tags "a, b"     Tag-conditioned scoring: per-token NLL given the tags and PMI
`;

/**
 * Takes the repeatable `--expert CONTEXT [--weight W]` pairs out of argv (the shared parser keeps one value per
 * flag). A --weight applies to the --expert before it.
 */
export function takeExperts(argv: string[]): { argv: string[]; experts: Expert[] } {
  const rest: string[] = [];
  const experts: Expert[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : '';
    if (name !== 'expert' && name !== 'weight') {
      rest.push(a);
      continue;
    }
    let v: string | undefined;
    if (eq > 0) v = a.slice(eq + 1);
    else v = argv[++i];
    if (v === undefined) throw new InputError(`option --${name} needs a value`, 'USAGE');
    if (name === 'expert') experts.push({ context: v, weight: 1 });
    else {
      const last = experts[experts.length - 1];
      if (!last) throw new InputError('--weight must follow an --expert CONTEXT', 'USAGE');
      const w = Number(v);
      if (!Number.isFinite(w)) throw new InputError(`--weight must be a number (got "${v}")`, 'USAGE');
      last.weight = w;
    }
  }
  return { argv: rest, experts };
}

function str(c: Common, name: string): string | undefined {
  const v = c.args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** `plausibility generate` */
export async function cmdGenerate(c: Common, experts: Expert[]): Promise<number> {
  if (c.args.positionals.length > 0)
    throw new PlausibilityError(`generate takes no positional arguments (got "${c.args.positionals[0]}"); use --prompt TEXT`, 'USAGE');
  const temperature = c.num('temperature', 1)!;
  if (temperature < 0) throw new PlausibilityError('--temperature must be >= 0', 'USAGE');
  const topP = c.num('top-p', 1)!;
  if (!(topP > 0 && topP <= 1)) throw new PlausibilityError('--top-p must be in (0, 1]', 'USAGE');
  const topK = c.num('top-k', 0)!;
  const maxTokens = c.num('max-tokens', 40)!;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new PlausibilityError('--max-tokens must be a positive integer', 'USAGE');
  const seed = c.num('seed');
  const stopList = (str(c, 'stop') ?? 'eos').split(',').map((s) => s.trim());
  for (const s of stopList)
    if (!['eos', 'newline', 'sentence', 'max'].includes(s)) throw new PlausibilityError(`--stop must list eos, newline, sentence (got "${s}")`, 'USAGE');
  const prompt = str(c, 'prompt') ?? '';
  // EOS always stops a sample (stop.eos defaults to true); --stop adds newline and sentence ends.
  const sampling = {
    prompt,
    temperature,
    topK,
    topP,
    seed,
    greedy: c.args.options.has('greedy'),
    maxTokens,
    useCache: !c.args.options.has('no-cache'),
    stop: { newline: stopList.includes('newline'), sentence: stopList.includes('sentence') },
  };
  if (str(c, 'steer-head')) return cmdGenerateSteered(c, { ...sampling, experts: experts.length });
  const engine = await c.loadEngine();
  const ac = new AbortController();
  const onInt = () => ac.abort();
  process.once('SIGINT', onInt);
  let res;
  try {
    res = await generatePoe(engine, experts, { ...sampling, signal: ac.signal });
  } finally {
    process.removeListener('SIGINT', onInt);
  }
  const s = res.samples[0];
  const doc = {
    text: s.text,
    tokens: s.ids.length,
    experts: s.experts.map((x) => ({ context: x.context, weight: x.weight, cond_nll: x.condNll })),
    generated: s.generated,
    stop_reason: s.stopReason,
    seed: res.seed,
    nll: -s.logprobs.reduce((a, b) => a + b, 0),
  };
  if (c.format === 'json') c.out.json(doc);
  else {
    c.out.line(doc.text);
    if (c.verbose || experts.length > 0)
      for (const x of doc.experts)
        c.out.info(`expert ${JSON.stringify(x.context)} weight ${x.weight}: conditional NLL ${x.cond_nll.toFixed(3)} nats`);
    if (c.verbose) c.out.info(`${doc.tokens} tokens, stopped at ${doc.stop_reason}, seed ${doc.seed}`);
  }
  return 0;
}
