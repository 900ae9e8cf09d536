import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLabeledFile, splitOf } from '../../src/core/heads/dataset';
import {
  auroc,
  classificationMetrics,
  ClassifierHead,
  embedTexts,
  engineFingerprint,
  HeadMismatchError,
  splitSentences,
} from '../../src/core/heads/discriminator';
import { cli, engine, ROOT } from './helpers';

const DAVIDSON = join(ROOT, '..', 'shared', 'data', 'toxicity', 'davidson_labeled_data.csv');

describe('discriminator: data files', () => {
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'plaus-discrim-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, data: string | Uint8Array) => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    return p;
  };

  it('parses RFC 4180 CSV: quotes, doubled quotes, newlines inside quotes, CRLF; line numbers', async () => {
    const p = file('a.csv', 'id,text,label\r\n1,"a, ""quoted""\nline",x\r\n2,plain,y\n');
    const r = await readLabeledFile(p, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(
      r.rows.map((x) => [x.index, x.line, x.text, x.label]),
      [
        [0, 2, 'a, "quoted"\nline', 'x'],
        [1, 4, 'plain', 'y'],
      ],
    );
  });

  it('reads JSONL and skips invalid UTF-8, invalid JSON and huge rows with warnings', async () => {
    const good = Buffer.from('{"t":"fine","l":1}\n');
    const bad = Buffer.concat([Buffer.from('{"t":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('","l":0}\n')]);
    const huge = Buffer.from(JSON.stringify({ t: 'x'.repeat(50000), l: 0 }) + '\n');
    const p = file('b.jsonl', Buffer.concat([good, bad, Buffer.from('not json\n'), huge, good]));
    const warnings: string[] = [];
    const r = await readLabeledFile(p, { textCol: 't', labelCol: 'l', warn: (m) => warnings.push(m) });
    assert.equal(r.rows.length, 2);
    assert.deepEqual(r.rows.map((x) => x.line), [1, 5]);
    assert.ok(warnings.some((w) => /invalid UTF-8 \(line 2\)/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /invalid JSON/.test(w)));
    assert.ok(warnings.some((w) => /over 20000 bytes/.test(w)));
  });

  it('refuses empty files and missing columns with clear messages', async () => {
    await assert.rejects(() => readLabeledFile(file('e.csv', ''), { textCol: 't', labelCol: 'l' }), /is empty/);
    await assert.rejects(() => readLabeledFile(file('w.csv', ' \n\n'), { textCol: 't', labelCol: 'l' }), /is empty/);
    await assert.rejects(
      () => readLabeledFile(file('m.csv', 'text,klass\na,b\n'), { textCol: 'text', labelCol: 'label' }),
      /no column "label" in the header \(columns: "text", "klass"\)/,
    );
    await assert.rejects(() => readLabeledFile(file('m.jsonl', '{"text":"a"}\n'), { textCol: 'text', labelCol: 'label' }), /no record has the field "label"/);
  });

  it('splits deterministically by row index mod 10', () => {
    const s = Array.from({ length: 20 }, (_, i) => splitOf(i));
    assert.equal(s.filter((x) => x === 'train').length, 16);
    assert.deepEqual([s[8], s[9], s[18], s[19]], ['tune', 'test', 'tune', 'test']);
  });

  it('metrics: AUROC with ties, macro-F1 and the majority baseline', () => {
    assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
    assert.equal(auroc([0.5, 0.5], [false, true]), 0.5);
    const m = classificationMetrics(
      [
        [0.9, 0.1],
        [0.2, 0.8],
        [0.3, 0.7],
        [0.4, 0.6],
      ],
      [0, 1, 1, 0],
      ['a', 'b'],
    );
    assert.equal(m.accuracy, 0.75);
    assert.equal(m.majority_baseline.accuracy, 0.5);
    assert.ok(Math.abs(m.macro_f1 - (2 / 3 + 0.8) / 2) < 1e-12);
  });

  it('splits sentences with exact offsets', () => {
    const t = 'First one. Second one!\n\n- item\n- two? Yes.';
    const s = splitSentences(t);
    assert.deepEqual(s.map((x) => x.text), ['First one.', 'Second one!', '- item', '- two?', 'Yes.']);
    for (const x of s) assert.equal(t.slice(x.start, x.end), x.text);
  });
});

describe('discriminator: heads', function () {
  this.timeout(60000);

  it('embeds texts identically batched and alone (padding never leaks)', async () => {
    const e = await engine();
    const texts = ['Short.', 'A somewhat longer sentence about the weather today.', ''];
    const all = await embedTexts(e, texts);
    const D = e.config.hiddenSize;
    for (let i = 0; i < texts.length; i++) {
      const one = await embedTexts(e, [texts[i]]);
      for (let j = 0; j < D; j++) assert.ok(Math.abs(one[j] - all[i * D + j]) < 1e-4, `text ${i} dim ${j}`);
    }
  });

  it('saves, loads and checks a random head; refuses one made for another model', async () => {
    const e = await engine();
    const tmp = mkdtempSync(join(tmpdir(), 'plaus-head-'));
    try {
      const fp = engineFingerprint(e);
      assert.match(fp.fingerprint, /^sha256:[0-9a-f]{16}$/);
      const head = ClassifierHead.random(e.config.hiddenSize, ['non-toxic', 'toxic'], fp, 7);
      const p = join(tmp, 'ok.json');
      head.save(p);
      const back = ClassifierHead.forEngine(e, p);
      assert.deepEqual(back.classNames, ['non-toxic', 'toxic']);
      assert.deepEqual(Array.from(back.weights.slice(0, 4)), Array.from(head.weights.slice(0, 4)).map((x) => Number(x.toPrecision(8))).map(Math.fround));

      const other = ClassifierHead.random(e.config.hiddenSize, ['a', 'b'], { ...fp, fingerprint: 'sha256:0123456789abcdef', name: 'other-model' }, 1);
      const q = join(tmp, 'other.json');
      other.save(q);
      assert.throws(
        () => ClassifierHead.forEngine(e, q),
        (err: Error) =>
          err instanceof HeadMismatchError &&
          /trained for another model \(fingerprint sha256:0123456789abcdef, "other-model"\)/.test(err.message) &&
          /Retrain it for this model/.test(err.message),
      );
      const wrongSize = ClassifierHead.random(e.config.hiddenSize + 1, ['a', 'b'], { ...fp, hidden_size: e.config.hiddenSize + 1 }, 1);
      const w = join(tmp, 'size.json');
      wrongSize.save(w);
      assert.throws(() => ClassifierHead.forEngine(e, w), /expects hidden states of size/);
      writeFileSync(join(tmp, 'junk.json'), '{"format":"nope"}');
      assert.throws(() => ClassifierHead.load(join(tmp, 'junk.json')), /not a valid discriminator head/);

      // The CLI says the same, with exit code 2 and no stack trace.
      const txt = join(tmp, 'doc.txt');
      writeFileSync(txt, 'Hello there. How is the weather?');
      const r = cli(['discrim', 'score', txt, '--head', q]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /trained for another model/);
      const ok = cli(['discrim', 'score', txt, '--head', p, '--format', 'json']);
      assert.equal(ok.code, 0, ok.stderr);
      const j = JSON.parse(ok.stdout);
      assert.deepEqual(j.classes, ['non-toxic', 'toxic']);
      assert.equal(j.sentences.length, 2);
      assert.ok(Math.abs(j.sentences[0].probs['toxic'] + j.sentences[0].probs['non-toxic'] - 1) < 1e-9);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('discrim CLI: bad input writes nothing', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'plaus-discrim-cli-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const train = (data: string | Uint8Array, name: string, extra: string[] = []) => {
    const p = join(tmp, name);
    writeFileSync(p, data);
    const out = join(tmp, name + '.head.json');
    const metrics = join(tmp, name + '.metrics.json');
    const r = cli(['discrim', 'train', p, '--text-col', 'text', '--label-col', 'label', '--out', out, '--metrics', metrics, ...extra]);
    return { ...r, wrote: existsSync(out) || existsSync(metrics) };
  };

  it('empty file', () => {
    const r = train('', 'empty.csv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is empty/);
    assert.ok(!r.wrote);
  });

  it('single class', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `sentence number ${i},ok`).join('\n');
    const r = train(`text,label\n${rows}\n`, 'single.csv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /only one class \("ok"\)/);
    assert.ok(!r.wrote);
  });

  it('missing columns', () => {
    const r = train('words,label\nhello,1\n', 'cols.csv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no column "text"/);
    assert.ok(!r.wrote);
  });

  it('non-UTF-8 and huge rows are skipped with a warning; nothing usable is an error', () => {
    const bad = Buffer.concat([Buffer.from('text,label\n'), Buffer.from([0xc3, 0x28]), Buffer.from(',1\n'), Buffer.from('x'.repeat(30000) + ',0\n')]);
    const r = train(bad, 'bad.csv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid UTF-8 \(line 2\)/);
    assert.match(r.stderr, /over 20000 bytes \(line 3\)/);
    assert.match(r.stderr, /no usable rows/);
    assert.ok(!r.wrote);
  });

  it('too few rows for the held-out split', () => {
    const r = train('text,label\na,1\nb,0\nc,1\n', 'few.csv');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /too few rows for the deterministic split/);
    assert.ok(!r.wrote);
  });

  it('trains a head that beats the majority class in macro-F1 on held-out Davidson rows', function () {
    if (!existsSync(DAVIDSON)) this.skip();
    this.timeout(180000); // about 30 s on an idle 2-core machine; generous for shared CI machines
    const out = join(tmp, 'tox.json');
    const r = cli([
      'discrim', 'train', DAVIDSON, '--text-col', 'tweet', '--label-col', 'class',
      '--label-map', '0=toxic,1=toxic,2=non-toxic', '--subsample', '14', '--max-tokens', '32',
      '--out', out, '--format', 'json', '--threads', '2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    const m = j.held_out_test;
    assert.ok(m.n > 140, `held-out rows: ${m.n}`);
    assert.ok(m.macro_f1 > m.majority_baseline.macro_f1 + 0.05, `macro-F1 ${m.macro_f1} vs majority ${m.majority_baseline.macro_f1}`);
    assert.ok(m.auroc > 0.6, `AUROC ${m.auroc}`);
    const head = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(head.unwanted_class, 'toxic');
    assert.deepEqual(head.class_names, ['non-toxic', 'toxic']);
    // discrim eval on the same held-out split reproduces the reported metrics.
    const ev = cli(['discrim', 'eval', DAVIDSON, '--head', out, '--text-col', 'tweet', '--label-col', 'class', '--split', 'test', '--subsample', '14', '--format', 'json', '--threads', '2']);
    assert.equal(ev.code, 0, ev.stderr);
    const e = JSON.parse(ev.stdout);
    assert.equal(e.n, m.n);
    for (const k of ['accuracy', 'macro_f1', 'auroc']) assert.ok(Math.abs(e[k] - m[k]) < 1e-3, `${k}: eval ${e[k]} vs train ${m[k]}`);
  });
});
