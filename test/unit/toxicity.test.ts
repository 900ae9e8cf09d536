import assert from 'node:assert/strict';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLabeledFile } from '../../src/core/heads/dataset';
import { ClassifierHead, embedTexts, engineFingerprint, fitPlatt, hasContentWord, proseSentences } from '../../src/core/heads/discriminator';
import { GENERAL_SOURCES, hashSplit, readContrast, readToxicityCsv } from '../../src/core/heads/toxicityData';
import { auroc, flaggedShare } from '../../src/core/heads/metrics';
import { readInsults } from '../../src/core/heads/toxicityEval';
import { RECIPE_DEFAULTS, recipeLayers, SOURCE_WEIGHTS } from '../../src/core/heads/toxicityRecipe';
import { layerOption } from '../../src/cli/discrim';
import { cli, engine, ROOT } from './helpers';

const EXTRA = join(ROOT, '..', 'shared', 'data', 'toxicity-extra');

// The five sentences of issue 20, as a Markdown note.
const HEADING = '# Notes';
const BENIGN = [
  'Thank you all for the kind words and the help.',
  'The results shows that people record about a third more sightings.',
  'We would rather keep the current database for another year.',
];
const INSULT = 'This idiotic plan is garbage and you are a moron.';
const NOTE = `${HEADING}\n\n${BENIGN.join('\n\n')}\n\n${INSULT}\n`;

describe('toxicity: only prose is checked', () => {
  it('skips headings (ATX and setext), code, front matter and sentences without a content word', () => {
    const doc = [
      '---',
      'title: Something rude',
      '---',
      '# Notes',
      'Plain text follows the heading.',
      '',
      'Setext heading',
      '==============',
      '',
      '```',
      'const idiot = "you moron";',
      '```',
      '',
      'OK, so.',
      '',
      'How are you?',
      '',
      'The meeting moved to Friday.',
    ].join('\n');
    const s = proseSentences(doc);
    assert.deepEqual(s.map((x) => x.text), ['Plain text follows the heading.', 'The meeting moved to Friday.']);
    for (const x of s) assert.equal(doc.slice(x.start, x.end), x.text);
    // A heading is skipped in plain text too.
    assert.deepEqual(proseSentences('## Results\nThey held.', { markdown: false }).map((x) => x.text), ['They held.']);
  });

  it('content words', () => {
    assert.equal(hasContentWord('It is what it is.'), false);
    assert.equal(hasContentWord('1. 2. 3.'), false);
    assert.equal(hasContentWord('Moron.'), true);
  });
});

describe('toxicity: the shipped head on the sentences of issue 20', function () {
  this.timeout(120000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'plaus-tox-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('never scores the heading; the benign sentences are under the threshold and the insult over it', () => {
    const file = join(tmp, 'note.md');
    writeFileSync(file, NOTE);
    const r = cli(['discrim', 'score', file, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), ['file', 'head', 'classes', 'threshold', 'sentences']);
    assert.ok(j.threshold > 0 && j.threshold < 1, `threshold ${j.threshold}`);
    const texts = j.sentences.map((s: { text: string }) => s.text);
    assert.ok(!texts.some((t: string) => t.includes('Notes')), `a heading was scored: ${texts.join(' | ')}`);
    const p = (t: string) => j.sentences.find((s: { text: string }) => s.text === t)?.probs.toxic as number;
    for (const b of BENIGN) assert.ok(p(b) < j.threshold, `"${b}": p(toxic) ${p(b)} >= threshold ${j.threshold}`);
    assert.ok(p(INSULT) >= j.threshold, `insult: p(toxic) ${p(INSULT)} < threshold ${j.threshold}`);
    for (const s of j.sentences) {
      assert.deepEqual(Object.keys(s), ['text', 'start', 'end', 'line', 'col', 'probs']);
      assert.equal(NOTE.slice(s.start, s.end), s.text);
    }
  });

  /** The shipped head's p(toxic) on each line of a dev list of training/toxicity/, and its threshold. */
  const devList = async (name: string) => {
    const e = await engine();
    const head = ClassifierHead.forEngine(e, 'toxicity');
    const lines = readInsults(join(ROOT, 'training', 'toxicity', name));
    assert.ok(lines.length >= 50, name);
    return { p: (await head.classify(e, lines)).map((q) => q[1]), t: head.meta.threshold! };
  };

  it('flags the dev list of threats and insults and few of the polite sentences written beside it', async () => {
    // Written apart from the test list (bench/data/insults.txt) and the contrast sentences.
    const insults = await devList('dev-insults.txt');
    const polite = await devList('dev-polite.txt');
    assert.ok(flaggedShare(insults.p, insults.t) >= 0.75, `dev insults flagged: ${flaggedShare(insults.p, insults.t)}`);
    assert.ok(flaggedShare(polite.p, polite.t) <= 0.1, `dev polite sentences flagged: ${flaggedShare(polite.p, polite.t)}`);
  });

  it('tells hateful statements about groups of people from harmless sentences that name the same groups', async () => {
    // Written apart from the contrast sentences' frames.
    const hate = await devList('dev-hate.txt');
    const benign = await devList('dev-group-benign.txt');
    assert.ok(flaggedShare(hate.p, hate.t) >= 0.45, `hateful statements flagged: ${flaggedShare(hate.p, hate.t)}`);
    assert.ok(flaggedShare(benign.p, benign.t) <= 0.12, `harmless statements about groups flagged: ${flaggedShare(benign.p, benign.t)}`);
    const a = auroc([...hate.p, ...benign.p], [...hate.p.map(() => true), ...benign.p.map(() => false)]);
    assert.ok(a >= 0.85, `AUROC ${a}`);
  });

  it("the shipped head stores the recipe's layer and pooling, a calibrated threshold, and the model fingerprint", async () => {
    const e = await engine();
    const head = ClassifierHead.forEngine(e, 'toxicity');
    assert.equal(head.pooling, RECIPE_DEFAULTS.pooling);
    // The recipe reads every layer the model offers: token embeddings, the inner layers and the last.
    assert.deepEqual(head.layer, recipeLayers(e));
    assert.deepEqual(head.meta.training?.layer, recipeLayers(e));
    assert.ok(e.info.innerLayers.length > 0 && (head.layer as number[]).length === e.config.numLayers + 1);
    assert.deepEqual(head.classNames, ['non-toxic', 'toxic']);
    assert.equal(head.meta.unwantedClass, 'toxic');
    assert.equal(head.baseModel.fingerprint, engineFingerprint(e).fingerprint);
    assert.ok(head.meta.threshold !== undefined && head.meta.threshold > 0 && head.meta.threshold < 1);
  });
});

describe('toxicity: head files', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'plaus-toxhead-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const variant = async (patch: Record<string, unknown>) => {
    const e = await engine();
    const j = { ...ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 3).toJSON(), ...patch };
    const p = join(tmp, `h${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(j));
    return p;
  };

  it('refuses max_tokens -1 or 1e9, NaN weights, a layer the model lacks and unknown pooling with a clear error', async () => {
    for (const v of [-1, 1e9, 0, 2.5]) {
      const p = await variant({ max_tokens: v });
      assert.throws(() => ClassifierHead.load(p), /"max_tokens" must be an integer from 1 to 8192/, `max_tokens ${v}`);
    }
    // JSON has no NaN: a NaN weight is written as null (JSON.stringify), or the file is not JSON at all.
    const e = await engine();
    const good = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], engineFingerprint(e), 3).toJSON();
    const w = good.weights.map((r) => [...r]);
    w[1][5] = NaN;
    const nanPath = join(tmp, 'nan.json');
    writeFileSync(nanPath, JSON.stringify({ ...good, weights: w }));
    assert.throws(() => ClassifierHead.load(nanPath), /weights\[1\]\[5\] is not a finite number/);
    writeFileSync(nanPath, JSON.stringify(good).replace(/"bias":\[[^\]]*\]/, '"bias":[NaN,0]'));
    assert.throws(() => ClassifierHead.load(nanPath), /is not valid JSON/);
    // A layer the model does not export loads (the file is valid) but is refused on the model, saying what it has.
    const deepLayer = await variant({ layer: 40 });
    assert.throws(() => ClassifierHead.forEngine(e, deepLayer), /reads layer 40, which this model .* does not export \(it exports 1, 2, 3, 4, 5, 6, 7\)/);
    const badPooling = await variant({ pooling: 'attention' });
    assert.throws(() => ClassifierHead.load(badPooling), /"pooling" must be one of mean, max, mean\+max/);
    const badThreshold = await variant({ threshold: 1.5 });
    assert.throws(() => ClassifierHead.load(badThreshold), /"threshold" must be a probability/);
    // Without max_tokens, layer or pooling (heads made before them): 64 tokens, mean pooling, last layer.
    const old = ClassifierHead.load(await variant({ max_tokens: undefined, pooling: undefined, layer: undefined }));
    assert.equal(old.meta.maxTokens, 64);
    assert.equal(old.pooling, 'mean');
  });

  it('refuses bad layer values with a clear message', async () => {
    const cases: [unknown, RegExp][] = [
      [-2, /"layer" -2 is invalid: a layer is 0 .*, -1 .* or N >= 1 \(after block N\), or a list of them such as \[0, -1\]/],
      [1.5, /"layer" 1.5 is invalid/],
      ['0', /"layer" "0" is invalid/],
      [[], /"layer" an empty layer list/],
      [[0, 0], /"layer" \[0,0\] lists a layer twice/],
      [[0, -5], /"layer" \[0,-5\] lists an invalid layer/],
    ];
    for (const [layer, re] of cases) {
      const p = await variant({ layer });
      assert.throws(() => ClassifierHead.load(p), re, JSON.stringify(layer));
    }
    // A list whose weights are the size of one layer is refused too.
    const p = await variant({ layer: [0, -1] });
    assert.throws(() => ClassifierHead.load(p), /weights row 0 must have 384 numbers \(mean pooling of 192 at 2 layers\)/);
    assert.throws(() => layerOption('-3'), /--layer "-3": -3 is invalid/);
    assert.throws(() => layerOption('top'), /--layer must be -1 \(or last\), 0, N \(after block N\), a comma-separated list such as 0,-1, or all/);
    assert.deepEqual(layerOption('0,last'), [0, -1]);
    assert.equal(layerOption('-1'), -1);
    assert.equal(layerOption('4'), 4);
    assert.equal(layerOption('all'), 'all');
  });

  it('a head with layer 0 or [0, -1] round-trips through toJSON/fromJSON', async () => {
    const e = await engine();
    const D = e.config.hiddenSize;
    const fp = engineFingerprint(e);
    const texts = ['The cat sat on the mat.', 'You are a moron.'];
    for (const [layer, pooling, F] of [[0, 'mean', D], [0, 'mean+max', 2 * D], [[0, -1], 'mean', 2 * D], [[0, -1], 'mean+max', 4 * D]] as const) {
      const W = Float32Array.from({ length: 2 * F }, (_, i) => Math.sin(i) * 0.1);
      const h = new ClassifierHead(D, ['non-toxic', 'toxic'], W, Float32Array.of(0.1, -0.1), fp, {
        name: 'l0',
        maxTokens: 32,
        pooling,
        layer: typeof layer === 'number' ? layer : [...layer],
        threshold: 0.4,
      });
      const j = JSON.parse(JSON.stringify(h.toJSON()));
      assert.deepEqual(j.layer, layer);
      assert.equal(j.embed_size, D);
      const back = ClassifierHead.fromJSON(j);
      assert.deepEqual(back.layer, layer);
      assert.equal(back.pooling, pooling);
      assert.equal(back.featureSize, F);
      assert.equal(back.meta.threshold, 0.4);
      assert.deepEqual(Array.from(back.weights), Array.from(W, (x) => Number(x.toPrecision(8))).map((x) => Math.fround(x)));
      const [a, b] = [await h.classify(e, texts), await back.classify(e, texts)];
      a.forEach((p, i) => assert.ok(Math.abs(p[1] - b[i][1]) < 1e-6));
    }
  });

  it('an inner layer N is the pooled residual stream after block N, from the same forward pass as the last', async () => {
    const e = await engine();
    const D = e.config.hiddenSize;
    const texts = ['This idiotic plan is garbage.', 'Thank you all for the kind words.', ''];
    const all = await embedTexts(e, texts, { layer: [0, 3, -1] });
    const [l0, l3, last] = [await embedTexts(e, texts, { layer: 0 }), await embedTexts(e, texts, { layer: 3 }), await embedTexts(e, texts, { layer: -1 })];
    for (let i = 0; i < texts.length; i++) {
      const row = all.subarray(i * 3 * D, (i + 1) * 3 * D);
      assert.deepEqual(Array.from(row.subarray(0, D)), Array.from(l0.subarray(i * D, (i + 1) * D)));
      assert.deepEqual(Array.from(row.subarray(D, 2 * D)), Array.from(l3.subarray(i * D, (i + 1) * D)));
      assert.deepEqual(Array.from(row.subarray(2 * D)), Array.from(last.subarray(i * D, (i + 1) * D)));
    }
    // By hand: the mean over the text's tokens (BOS excluded) of hidden_states.3 from one forward pass.
    const ids = [e.bosId, ...e.encode(texts[0])];
    const res = await e.forward(ids, { innerLayers: [3], logits: false });
    const h = res.inner!.get(3)!;
    for (const j of [0, 17, D - 1]) {
      let m = 0;
      for (let p = 1; p < ids.length; p++) m += h[p * D + j];
      assert.ok(Math.abs(m / (ids.length - 1) - l3[j]) < 1e-5, `dim ${j}`);
    }
    assert.notDeepEqual(Array.from(l3.subarray(0, D)), Array.from(last.subarray(0, D)));
  });

  it('layer 0 embeds a text as the pooled lm_head rows of its tokens (no forward pass); [0, -1] concatenates', async () => {
    const e = await engine();
    const D = e.config.hiddenSize;
    const lm = e.lmHead();
    const text = 'This idiotic plan is garbage.';
    const ids = e.encode(text);
    const [mean, max, both, last] = [
      await embedTexts(e, [text], { layer: 0 }),
      await embedTexts(e, [text], { layer: 0, pooling: 'max' }),
      await embedTexts(e, [text, ''], { layer: [0, -1] }),
      await embedTexts(e, [text, ''], { layer: -1 }),
    ];
    for (let j = 0; j < D; j++) {
      const col = ids.map((id) => lm.weights[id * D + j]);
      assert.ok(Math.abs(mean[j] - col.reduce((a, b) => a + b, 0) / ids.length) < 1e-6);
      assert.equal(max[j], Math.max(...col));
      assert.equal(both[j], mean[j]);
      assert.equal(both[D + j], last[j]);
      // An empty text: BOS's row at layer 0, BOS's state at the last layer.
      assert.equal(both[2 * D + j], lm.weights[e.bosId * D + j]);
      assert.equal(both[3 * D + j], last[D + j]);
    }
  });

  it('reads pooling and layer; mean+max doubles the features', async () => {
    const e = await engine();
    const D = e.config.hiddenSize;
    const both = await embedTexts(e, ['The cat sat on the mat.'], { pooling: 'mean+max' });
    const mean = await embedTexts(e, ['The cat sat on the mat.']);
    const max = await embedTexts(e, ['The cat sat on the mat.'], { pooling: 'max' });
    assert.equal(both.length, 2 * D);
    for (let j = 0; j < D; j++) {
      assert.ok(Math.abs(both[j] - mean[j]) < 1e-5);
      assert.ok(Math.abs(both[D + j] - max[j]) < 1e-5);
      assert.ok(max[j] >= mean[j] - 1e-5);
    }
    const p = await variant({ pooling: 'mean+max', weights: [new Array(2 * D).fill(0), new Array(2 * D).fill(0.01)], layer: -1 });
    const h = ClassifierHead.forEngine(e, p);
    assert.equal(h.featureSize, 2 * D);
    const probs = await h.classify(e, ['Hello there.']);
    assert.ok(Math.abs(probs[0][0] + probs[0][1] - 1) < 1e-9);
  });
});

describe('toxicity: data', function () {
  this.timeout(120000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'plaus-toxdata-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** A CSV whose second row's text is one quoted field of `mb` MB, written in pieces. */
  const hugeCsv = async (name: string, mb: number): Promise<string> => {
    const p = join(tmp, name);
    const w = createWriteStream(p);
    const write = (s: string) => new Promise<void>((res) => (w.write(s) ? res() : w.once('drain', () => res())));
    await write('text,label\nfine,0\n"');
    const chunk = 'ab "" cd, ef\n'.repeat(80000); // about 1 MB, with doubled quotes, commas and newlines
    for (let i = 0; i < mb; i++) await write(chunk);
    await write('",1\nafter,1\n');
    await new Promise<void>((res) => w.end(res));
    return p;
  };

  it("--dump-rows writes the recipe's rows as token ids with label, source and split, for the training pipeline", async () => {
    const out = join(tmp, 'rows.jsonl');
    const contrast = join(ROOT, 'training', 'toxicity', 'contrast.csv');
    const r = cli(['discrim', 'train', '--recipe', 'toxicity', '--dump-rows', out, '--data-dir', join(ROOT, '..', 'shared', 'data'), '--contrast', contrast]);
    assert.equal(r.code, 0, r.stderr);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const e = await engine();
    const sources = new Set(rows.map((x) => x.source));
    for (const s of ['wikipedia_jigsaw', 'hatexplain', 'davidson_tweets', 'clean_prose', 'stormfront_hate', 'contrast']) assert.ok(sources.has(s), s);
    // The contrast sentences are training rows only, both labels, as many as the file holds.
    const ctr = rows.filter((x) => x.source === 'contrast');
    assert.equal(ctr.length, (await readContrast(contrast)).length);
    assert.ok(ctr.every((x) => x.split === 'train'));
    assert.deepEqual(new Set(ctr.map((x) => x.label)), new Set([0, 1]));
    // The hate-speech-only sources keep the recipe's half weight, and only the general ones count as general.
    assert.equal(rows.find((x) => x.source === 'stormfront_hate').weight, 0.5);
    assert.equal(rows.find((x) => x.source === 'wikipedia_jigsaw').general, true);
    assert.equal(rows.find((x) => x.source === 'clean_prose').general, false);
    for (const x of rows.slice(0, 500)) {
      assert.ok(x.label === 0 || x.label === 1);
      assert.ok(['train', 'dev', 'test'].includes(x.split));
      assert.equal(x.weight, SOURCE_WEIGHTS[x.source] ?? 1);
      assert.equal(x.general, GENERAL_SOURCES.includes(x.source));
      assert.ok(x.ids.length <= RECIPE_DEFAULTS.maxTokens && x.ids.every((i: number) => Number.isInteger(i) && i >= 0 && i < e.config.vocabSize));
    }
    // The ids are the engine's encoding of the text (no BOS): the first jigsaw row's, from the CSV itself.
    const jig = (await readToxicityCsv(join(EXTRA, 'wikipedia_jigsaw.csv'), 'wikipedia_jigsaw'))[0];
    const dumped = rows.find((x) => x.source === 'wikipedia_jigsaw');
    assert.deepEqual(dumped.ids, e.encode(jig.text).slice(0, RECIPE_DEFAULTS.maxTokens));
    assert.equal(dumped.split, hashSplit(jig.text));
    const bad = cli(['discrim', 'train', '--recipe', 'toxicity', '--dump-rows']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--dump-rows needs a value/);
  });

  it('a missing dev list stops the recipe at once, before any row is read or embedded', () => {
    const out = join(tmp, 'never.json');
    const r = cli(['discrim', 'train', '--recipe', 'toxicity', '--out', out, '--data-dir', join(ROOT, '..', 'shared', 'data'),
      '--dev-hate', join(tmp, 'no-such-list.txt')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no dev list at .*no-such-list\.txt/);
    assert.doesNotMatch(r.stderr, /collected|embedding/);
    assert.ok(!existsSync(out));
  });

  it('a 220 MB quoted field is refused with a clear error, not a crash', async () => {
    const p = await hugeCsv('huge.csv', 220);
    await assert.rejects(() => readLabeledFile(p, { textCol: 'text', labelCol: 'label' }), /is over 1048576 bytes; the file is refused/);
  });

  it('a 50 MB field costs little memory', async () => {
    const p = await hugeCsv('big.csv', 50);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    try {
      await assert.rejects(() => readLabeledFile(p, { textCol: 'text', labelCol: 'label' }), /the file is refused/);
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.ok(peak - before < 200e6, `RSS grew ${((peak - before) / 1e6).toFixed(0)} MB reading a 50 MB field`);
  });

  it('texts over --max-row-bytes are skipped and the rows after them kept', async () => {
    const p = join(tmp, 'long.csv');
    writeFileSync(p, `text,label\nfine,0\n"${'x'.repeat(30000)}",1\nafter,1\n`);
    const warnings: string[] = [];
    const r = await readLabeledFile(p, { textCol: 'text', labelCol: 'label', warn: (m) => warnings.push(m) });
    assert.deepEqual(r.rows.map((x) => [x.text, x.line]), [['fine', 2], ['after', 4]]);
    assert.match(warnings.join('\n'), /over 20000 bytes \(line 3\)/);
  });

  it("splits toxicity-extra by the README's hash rule (its counts)", async function () {
    if (!existsSync(EXTRA)) this.skip();
    const rows = await readToxicityCsv(join(EXTRA, 'convabuse.csv'), 'convabuse');
    const n = (split: string, label: number) => rows.filter((r) => r.split === split && r.label === label).length;
    assert.deepEqual([n('train', 1), n('train', 0), n('dev', 1), n('dev', 0), n('test', 1), n('test', 0)], [326, 1020, 45, 148, 55, 110]);
    // Case folding and whitespace do not move a text.
    assert.equal(hashSplit('Straße  IS\tfine'), hashSplit('strasse is fine'));
  });

  it('Platt scaling recovers a known calibration', () => {
    let seed = 7;
    const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const s: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = 8 * r() - 4;
      s.push(x);
      y.push(r() < 1 / (1 + Math.exp(-(0.5 * x - 1))) ? 1 : 0);
    }
    const { a, b } = fitPlatt(s, y);
    assert.ok(Math.abs(a - 0.5) < 0.05 && Math.abs(b + 1) < 0.08, `a ${a}, b ${b}`);
    // Margins on a scale that saturates every probability at a = 1 (a head over many layers) fit the same way.
    const big = fitPlatt(s.map((x) => 200 * x + 300), y);
    assert.ok(Math.abs(200 * big.a - 0.5) < 0.05 && Math.abs(big.b + 300 * big.a + 1) < 0.08, `a ${big.a}, b ${big.b}`);
  });

});
