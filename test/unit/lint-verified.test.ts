/**
 * Verified edits against the real bundled model: each edit kind found on real sentences with the right fix, and no
 * finding on clean prose with rare words and names. The model is never mocked.
 */
import assert from 'node:assert/strict';
import { DocumentLinter } from '../../src/core/lint/linter';
import type { Finding } from '../../src/core/lint/finding';
import { CHECKS } from '../../src/core/lint/registry';
import { DEFAULT_MARGINS, MARGINS_FILE, readMargins } from '../../src/core/lint/edits/verify';
import { isCodeLike, proposeEdits, sentenceWords, type EditKind } from '../../src/core/lint/edits/proposals';
import { sameWordClass } from '../../src/core/lint/edits/wordClasses';
import { lexiconFor, softBreaksAsSpaces } from '../../src/core/lint/edits/runner';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine } from './helpers';

async function lint(text: string, settings = {}): Promise<Finding[]> {
  return (await new DocumentLinter(await engine()).lint(text, 'plaintext', settings)).findings;
}

/** The document with the finding's fix applied. */
function applied(text: string, f: Finding): string {
  return text.slice(0, f.start) + f.replacement + text.slice(f.end);
}

const CASES: { text: string; rule: string; fixed: string }[] = [
  { text: 'I got a letter form the council about the new road.', rule: 'plausibility/word-choice', fixed: 'I got a letter from the council about the new road.' },
  { text: 'We went to the the station early in the morning.', rule: 'plausibility/extra-word', fixed: 'We went to the station early in the morning.' },
  { text: 'It was a beatiful day for a long walk by the river.', rule: 'plausibility/spelling', fixed: 'It was a beautiful day for a long walk by the river.' },
  { text: 'The next meeting is on monday at ten in the morning.', rule: 'plausibility/capitalization', fixed: 'The next meeting is on Monday at ten in the morning.' },
  // Agreement: the verb form for the determiner and noun before it.
  { text: 'This rule have a strong effect on small farms.', rule: 'plausibility/word-choice', fixed: 'This rule has a strong effect on small farms.' },
  { text: 'The reports shows that sales fell last year.', rule: 'plausibility/word-choice', fixed: 'The reports show that sales fell last year.' },
  { text: 'The quality of the products are poor.', rule: 'plausibility/word-choice', fixed: 'The quality of the products is poor.' },
  { text: 'There are a problem with the printer.', rule: 'plausibility/word-choice', fixed: 'There is a problem with the printer.' },
  { text: 'My father teached me how to swim.', rule: 'plausibility/word-choice', fixed: 'My father taught me how to swim.' },
  { text: 'Our volunteers recorded two thousand sightings. Most of them was common species, such as teal and lapwing.', rule: 'plausibility/word-choice', fixed: 'Our volunteers recorded two thousand sightings. Most of them were common species, such as teal and lapwing.' },
  // A noun's number for the quantity before it.
  { text: 'There are several reason for the delay.', rule: 'plausibility/word-choice', fixed: 'There are several reasons for the delay.' },
  // "a" or "an" for the sound after it.
  { text: 'It is a important decision for the family.', rule: 'plausibility/word-choice', fixed: 'It is an important decision for the family.' },
  // The base form after a modal.
  { text: 'She can swims faster than her brother.', rule: 'plausibility/word-choice', fixed: 'She can swim faster than her brother.' },
  // A word's usual preposition, a missing preposition and an adverb's place, from the corpus's collocations.
  { text: 'She is very interested on using the app.', rule: 'plausibility/word-choice', fixed: 'She is very interested in using the app.' },
  { text: 'We went the store to buy some milk.', rule: 'plausibility/missing-word', fixed: 'We went to the store to buy some milk.' },
  { text: 'I only have eaten a sandwich today.', rule: 'plausibility/word-order', fixed: 'I have only eaten a sandwich today.' },
  // Confusable words: tried wherever they stand, since the model rarely finds the slip surprising.
  { text: 'Their is still one problem with the report.', rule: 'plausibility/word-choice', fixed: 'There is still one problem with the report.' },
  { text: 'She is taller then her brother.', rule: 'plausibility/word-choice', fixed: 'She is taller than her brother.' },
  { text: 'I wander if the shop is still open.', rule: 'plausibility/word-choice', fixed: 'I wonder if the shop is still open.' },
  { text: 'The hospital hired more medical personal last year.', rule: 'plausibility/word-choice', fixed: 'The hospital hired more medical personnel last year.' },
  // "of" for "have" after a modal, "to" for "too" before an adjective that ends its phrase.
  { text: 'We should of invited them sooner.', rule: 'plausibility/word-choice', fixed: 'We should have invited them sooner.' },
  { text: 'The box was to heavy to carry.', rule: 'plausibility/word-choice', fixed: 'The box was too heavy to carry.' },
];

/** Correct uses of the same confusable words: never flagged. */
const CONFUSABLE_CLEAN = [
  'They left their coats in the hall.',
  'There is still one problem with the report.',
  'Your idea is better than mine.',
  'It is quite cold outside, and the room is quiet.',
  'We went there after the rain, and then we went home.',
  // The article is for the sound, not the letter.
  'She studied at a university for an hour each day.',
  'It would of course be better to wait, and we walked to the old mill.',
  'Prices went from cheap to expensive and back to cheap.',
  'He wrote a personal letter to the mayor, and I wonder what he said.',
  'The team was weak last week.',
];

describe('lint: verified edits (real model)', function () {
  this.timeout(300_000);

  for (const c of CASES) {
    it(`${c.rule}: "${c.text}"`, async () => {
      const fs = await lint(c.text);
      const f = fs.find((x) => x.rule === c.rule);
      assert.ok(f, `no ${c.rule} finding; got ${JSON.stringify(fs.map((x) => [x.rule, x.text, x.replacement]))}`);
      assert.equal(applied(c.text, f), c.fixed);
      assert.ok((f.data.gainBits ?? 0) > 0, 'a verified fix makes the sentence more likely');
      assert.ok(!/bits|nats|entropy|␣|<\|/.test(f.message), `plain words in the message: ${f.message}`);
    });
  }

  it('keeps only fixes that still help with the better fixes of the sentence applied', async () => {
    // "policy" -> "policies" and "have" -> "has" each mend the agreement alone; both at once would break it again.
    const text = 'The new policy have helped many families in the town.';
    const fs = await lint(text);
    let fixed = text;
    for (const f of [...fs].sort((a, b) => b.start - a.start)) fixed = applied(fixed, f);
    assert.ok(!/policies has/.test(fixed), JSON.stringify(fs.map((f) => [f.text, f.replacement])));
  });

  it('fixes "your right" as a confusion or not at all, never by deleting "your"', async () => {
    const text = 'I think your right about the plan.';
    for (const f of await lint(text)) assert.equal(applied(text, f), "I think you're right about the plan.", JSON.stringify(f));
  });

  it('leaves correct uses of confusable words alone', async () => {
    for (const text of CONFUSABLE_CLEAN) assert.deepEqual((await lint(text)).map((f) => [f.rule, f.text, f.replacement]), [], text);
  });

  it('capitalises a sentence opener and the pronoun i', async () => {
    const fs = await lint('the cat sat on the mat. i think it was happy.');
    assert.deepEqual(
      fs.filter((f) => f.rule === 'plausibility/capitalization').map((f) => [f.text, f.replacement]),
      [['the', 'The'], ['i', 'I']],
    );
  });

  it('flags the sentence that fits the declared tags least (plausibility/off-tag), only when tags are declared', async () => {
    const body =
      'The city council approved the new budget on Tuesday after a long debate. The mayor said that the plan would cut ' +
      'taxes for most families. Meanwhile, the dragon breathed fire upon the enchanted castle and the wizard cast a ' +
      'spell. Officials expect the changes to take effect next year.\n';
    const linter = new DocumentLinter(await engine());
    const tagged = (await linter.lint(`---\ntags: [news]\n---\n\n${body}`, 'markdown')).findings.filter((f) => f.rule === 'plausibility/off-tag');
    assert.equal(tagged.length, 1);
    assert.match(tagged[0].text, /dragon/);
    assert.equal(tagged[0].severity, 'info');
    const untagged = (await new DocumentLinter(await engine()).lint(body, 'markdown')).findings.filter((f) => f.rule === 'plausibility/off-tag');
    assert.deepEqual(untagged, []);
  });

  it('flags nothing in a clean README: identifiers, tool names, doc-style verbs, tables, links and emphasis', async () => {
    const readme = [
      '# fast-glob-lite',
      '',
      'Returns the paths that match a pattern. Calls `options.onMatch` for each match, and',
      '  skips dotfiles unless `dot` is set. See [the syntax](https://example.com/syntax "How patterns are written") for details.',
      '',
      '## Options',
      '',
      '| option | default |',
      '|---|---|',
      '| cwd | process.cwd() |',
      '| dedupe | true |',
      '| nodupes | false |',
      '',
      '* **cwd** `string`: the base directory. Relative patterns are resolved against it.',
      '* **ignore** `string[]`: patterns to leave out, *matched* against the relative path.',
      '* **root** `string` (uses the current directory when it is not set)',
      '* [update](https://example.com/update): a framework for automating updates… [more](https://example.com/more "Be fast! It is new.")',
      '',
      'Use `isMatch()` or `toRegex()` when you need a single test. The minified build is in `dist/`, eslint runs on',
      'every commit, and the maintainers are @ecosyste-ms and the options.nodupes flag is deprecated. The darwin-x64',
      'build has dynamic batch/sequence/past axes.',
      '',
      '### nobrace',
      '',
      'Turns off brace expansion.',
      '',
      '### Running benchmarks',
      '',
      'Install the dev dependencies first. Gets the global dispatcher when one is set.',
    ].join('\n');
    const fs = (await new DocumentLinter(await engine()).lint(readme, 'markdown')).findings;
    assert.deepEqual(fs.map((f) => [f.rule, f.text, f.replacement]), []);
  });

  it('reads no words inside HTML tags, and takes a word emphasised on its own as a mention', async () => {
    const text = [
      '<span class="badge"><a href="https://example.com/d" title="Donate to this project"><img src="b.svg" alt="crypto donate button" /></a></span>',
      '<span class="badge"><a href="https://example.com/p" title="Donate using Paypal"><img src="p.svg" alt="PayPal donate button" /></a></span>',
      '',
      'This option makes it possible to use _he_ as part of HTML parsers. The result *might* still be a valid message.',
    ].join('\n');
    assert.deepEqual((await new DocumentLinter(await engine()).lint(text, 'markdown')).findings.map((f) => [f.rule, f.text, f.replacement]), []);
  });

  it('still flags errors in Markdown, inside emphasis and links, with a fix that keeps the markup', async () => {
    const text = 'It was a *beatiful* day for a walk.\n\nI got [a letter](https://example.com/l) form the council about the new road.\n';
    const fs = (await new DocumentLinter(await engine()).lint(text, 'markdown')).findings;
    const spelling = fs.find((f) => f.text === 'beatiful');
    assert.equal(spelling?.replacement, 'beautiful');
    assert.equal(applied(text, spelling!).split('\n')[0], 'It was a *beautiful* day for a walk.');
    assert.equal(fs.find((f) => f.text === 'form')?.replacement, 'from');
  });

  it('takes identifiers and names written as one for code, and prose compounds for prose', () => {
    const codeLike = (sentence: string, word: string) => {
      const start = sentence.indexOf(word);
      return isCodeLike(sentence, { start, end: start + word.length, text: word });
    };
    for (const [s, w] of [['Call isEven first.', 'isEven'], ['Set options.nodupes to true.', 'nodupes'], ['The vso-node-api package.', 'vso'], ['Thanks to @ecosyste-ms for this.', 'ecosyste'], ['Use &nbsp; here.', 'nbsp'], ['Read src/indx first.', 'indx'], ['The no_dupes flag.', 'dupes'], ['The darwin-x64 build.', 'darwin']])
      assert.ok(codeLike(s, w), `${w} in "${s}"`);
    for (const [s, w] of [['They like new-fasion things.', 'fasion'], ['It was a beatiful day.', 'beatiful'], ['It was a *beatiful* day.', 'beatiful'], ['He ended the sentense.', 'sentense']])
      assert.ok(!codeLike(s, w), `${w} in "${s}"`);
  });

  it('lints words named like Object members as ordinary words', async () => {
    // "constructor" once found Object's constructor as its agreement form, and the whole lint threw.
    for (const text of ['The new constructor accept two arguments.', 'Its toString and valueOf methods returns a string.', 'The __proto__ and hasOwnProperty keys is special.'])
      assert.ok(Array.isArray(await lint(text)), text);
  });

  it('flags nothing in a clean paragraph with rare words and names', async () => {
    const text =
      'In 1851 the naturalist Alfred Russel Wallace sailed to Sarawak, where he collected beetles and orangutans. ' +
      'His notebooks describe the dipterocarp forests along the Sadong River in careful detail. ' +
      'Years later, his essay on natural selection reached Charles Darwin, who read it with some alarm.';
    assert.deepEqual(await lint(text), []);
  });

  it('flags only the planted errors of a project update, each with its fix, and finds most of them', async () => {
    // A writer's document: 300 words, 7 planted errors, names and product terms that must not be flagged.
    const text = [
      '# Quarterly update: the field app',
      '',
      'This quarter the team finished the offline mode for the field app. Volunteers can now record sightings without a',
      'signal, and the app syncs them when the phone is back online. We tested it on three routes in the Peak District,',
      'where coverage is poor, and lost no records.',
      '',
      'Their is still one open problem with photo uploads. Large images time out on slow connections, so we are adding',
      'resumable uploads before the spring survey. Until then, volunteers should keep photos under five megabytes.',
      '',
      'The results shows that people record about a third more sightings when they can work offline. Most of the gain',
      'comes from remote sites, where volunteers used to give up and write notes on paper instead.',
      '',
      'In October we received a letter form the regional council about data retention. They asked us to delete location',
      'data after five years and to document how backups are handled. Priya drafted a policy, and the board approved it',
      'at the November meeting.',
      '',
      'Last week the team went the warehouse in Sheffield to collect the new tablets. We set up twenty of them for the',
      'the volunteers who do not own a smartphone, and we will lend them out from the library in Hathersage.',
      '',
      'Several schools have said they are interested on using the app in their science lessons. We will run a pilot with',
      'two of them next term and write a short guide for teachers.',
      '',
      'If you did not recieve the training invitation, please contact Sam. The next session is on the twelfth of',
      'January, and it will cover the new offline mode, photo uploads and the retention policy.',
      '',
      'Thank you all for the kind words and the help this year. The handbook has been updated, and the new version is in',
      'the shared drive.',
    ].join('\n');
    // Each planted error: a unique stretch of text around it, the flagged text and its fix.
    const planted: [string, string, string][] = [
      ['Their is still', 'Their', 'There'],
      ['results shows', 'shows', 'show'],
      ['letter form the', 'form', 'from'],
      ['went the warehouse', 'went the', 'went to the'],
      ['the\nthe volunteers', 'the', ''],
      ['interested on', 'on', 'in'],
      ['not recieve', 'recieve', 'receive'],
    ];
    const fs = (await new DocumentLinter(await engine()).lint(text, 'markdown')).findings;
    const hits = fs.filter((f) =>
      planted.some(([around, t, r]) => {
        const at = text.indexOf(around);
        return at >= 0 && f.start >= at && f.end <= at + around.length && f.text.trim() === t && (f.replacement ?? '').trim() === r;
      }),
    );
    assert.deepEqual(fs.filter((f) => !hits.includes(f)).map((f) => [f.rule, f.text, f.replacement]), [], 'no flag on correct text');
    assert.equal(hits.length, 7, `found ${hits.length} of 7: ${JSON.stringify(hits.map((f) => [f.text, f.replacement]))}`);
  });

  it("finds a newsletter's number, article and verb-form slips, each with its fix, and flags nothing else", async () => {
    const text = [
      '# Spring newsletter',
      '',
      'This spring the garden club planted three new bed of vegetables behind the library. Several volunteer came every',
      'weekend, and one of the youngest member built a small greenhouse from old windows. We can now grows tomatoes',
      'earlier than before.',
      '',
      'The council gave us an grant for a new water tank. It will collect rain from the roof of the shed, so we will not',
      'need to carry water from the tap. Each of the plots has its own hose, and the children like to help with the',
      'watering.',
    ].join('\n');
    const fs = (await new DocumentLinter(await engine()).lint(text, 'markdown')).findings;
    assert.deepEqual(
      fs.map((f) => [f.text, f.replacement]),
      [['bed', 'beds'], ['volunteer', 'volunteers'], ['member', 'members'], ['grows', 'grow'], ['an', 'a']],
    );
  });

  it("finds a club's notes' repeated word, plural slip, 'to big' and 'should of', each with its fix, and flags nothing else", async () => {
    const text = [
      '# Garden club notes',
      '',
      'Last Saturday we met at the community hall to plan the spring planting. Twelve members came, and two new',
      'neighbours joined us for the first time. Margaret explained how the frost had damaged the young apple trees along',
      'the east wall, and she suggested that we wrap them in fleece next winter.',
      '',
      'We also discussed the the compost heap. It has grown to big for the corner, so we will move half of it beside the',
      'shed. The childrens from the primary school are visiting on the twelfth, and they would like to plant sunflowers',
      'along the fence. Everyone agreed that this is a lovely idea and that we should of invited them sooner.',
    ].join('\n');
    const fs = (await new DocumentLinter(await engine()).lint(text, 'markdown')).findings;
    assert.deepEqual(
      fs.map((f) => [f.text, f.replacement]),
      [[' the', ''], ['to', 'too'], ['childrens', 'children'], ['of', 'have']],
    );
  });

  it('takes a word the training corpus uses as a real word, and a slip of a frequent word as a misspelling', async () => {
    const lex = lexiconFor(await engine(), 'en-US', true);
    // Neither is in the dictionary; the model folder's corpus_words.txt lists the first, never the slip.
    assert.ok(!lex.isKnown('ridgeline') && !lex.isKnown('wirh'));
    assert.ok(lex.isWord('ridgeline') && lex.isWord('Ridgeline', true), 'a corpus word, also capitalised at a sentence start');
    assert.ok(!lex.isWord('Ridgeline') && !lex.isWord('wirh'), 'a capital mid-sentence is a name; a slip stays a non-word');
    const fs = await lint('We walked along the ridgeline until the light began to fade.');
    assert.deepEqual(fs.filter((f) => f.rule === 'plausibility/spelling'), []);
  });

  it('corrects typos whose fix the dictionary ranks low or misses, and takes prefixed words as real words', async () => {
    // Hunspell suggests parry, para, pars, wary... for "pary", and nothing for "inviroment"; a misspelt contraction
    // is a typo too.
    const typos: [string, string, string][] = [
      ['My friends will celebrate at the pary tonight.', 'pary', 'party'],
      ['Other animals in the inviroment will eat them.', 'inviroment', 'environment'],
      ["Most people doens't know about this.", "doens't", "doesn't"],
    ];
    for (const [text, word, fix] of typos) {
      const f = (await lint(text)).find((x) => x.rule === 'plausibility/spelling' && x.text === word);
      assert.equal(f?.replacement, fix, text);
    }
    const lex = lexiconFor(await engine(), 'en-US', true);
    assert.ok(lex.isWord('unheroic') && lex.isWord('overbroad'), 'a prefix on a dictionary word');
    assert.ok(!lex.isWord('untill'), 'too short a stem to trust');
  });

  it('finds the spelling error only in the sentence that has it, with the range on the word itself', async () => {
    const text = 'The survey went well. We counted the birds becuase the morning was clear.';
    const fs = await lint(text);
    assert.equal(fs.length, 1, JSON.stringify(fs));
    assert.equal(fs[0].text, 'becuase');
    assert.equal(fs[0].replacement, 'because');
  });

  it('offers only whole words as fixes and suggestions', async () => {
    for (const c of CASES) {
      for (const f of await lint(c.text)) {
        for (const s of [f.replacement ?? '', ...f.suggestions]) assert.ok(!/<\||\uFFFD/.test(s) && (s === '' || /\p{L}/u.test(s)), s);
      }
    }
  });

  it('turns every check off on its own', async () => {
    for (const c of CASES) {
      const fs = await lint(c.text, { disabledRules: [c.rule] });
      assert.ok(!fs.some((f) => f.rule === c.rule), `${c.rule} still reported when disabled`);
    }
    for (const check of CHECKS) {
      const fs = await lint(CASES.map((c) => c.text).join(' '), { disabledRules: [check.id] });
      assert.ok(!fs.some((f) => f.rule === check.id), check.id);
    }
  });

  it('keeps the surprise flags off by default and on when asked', async () => {
    const text = 'The committee approved the budget. Purple elephants negotiate quantum marmalade yesterday.';
    assert.ok(!(await lint(text)).some((f) => f.rule === 'plausibility/word' || f.rule === 'plausibility/phrase'));
    const on = await lint(text, { surprise: { enabled: true } });
    assert.ok(on.some((f) => f.rule === 'plausibility/word' || f.rule === 'plausibility/phrase'));
  });

  it('never flags code blocks or directive-disabled text in a 2 MB file, and still flags the prose', async () => {
    // Distinct misspellings: a word used twice in a document is taken as deliberate.
    const prose = ['It was a beatiful day for a walk.', 'The goverment announced a new plan.', 'We went to the the station early.', 'I got a letter form the council about the new road.'];
    const off = ['It was a wierd day for a walk.', 'We keep them in seperate boxes.', 'The accident occured at noon.', 'The shop opens tommorow morning.'];
    const parts: string[] = ['---', 'title: Their is a beatiful note', '---', ''];
    for (let i = 0; parts.join('\n').length < 2_000_000; i++) {
      if (i % 150 === 0 && prose[i / 150]) parts.push(prose[i / 150], '', '<!-- plausibility-disable-next-line -->', off[i / 150], '');
      else parts.push('```js', `const s = "It was a beatiful day, a letter form the council"; // ${i}`.repeat(40), '```', '');
    }
    const text = parts.join('\n');
    assert.ok(text.length >= 2_000_000);
    for (const p of prose) assert.ok(text.includes(`\n${p}\n`), `the document has "${p}"`);
    const r = await new DocumentLinter(await engine()).lint(text, 'markdown');
    const lines = prose.map((p) => text.indexOf(`\n${p}\n`) + 1);
    for (const f of r.findings) {
      const line = text.lastIndexOf('\n', f.start) + 1;
      assert.ok(lines.includes(line), `finding outside enabled prose: ${JSON.stringify(text.slice(line, line + 60))}`);
    }
    for (const line of lines) assert.ok(r.findings.some((f) => text.lastIndexOf('\n', f.start) + 1 === line), `not flagged: ${text.slice(line, line + 50)}`);
  });

  it('never flags inside code, directives or front matter, even across a long file', async () => {
    const code = '```python\n' + 'x = beatiful_function(the the form)\n'.repeat(3000) + '```\n\n';
    const text = '---\ntitle: Their is a beatiful note\n---\n\n' + code + '<!-- plausibility-disable -->\nThe shop opens tommorow morning.\n<!-- plausibility-enable -->\n\nIt was a beatiful day.\n';
    const r = await new DocumentLinter(await engine()).lint(text, 'markdown');
    assert.equal(r.findings.length, 1, JSON.stringify(r.findings.map((f) => f.text)));
    assert.ok(r.findings[0].start > text.lastIndexOf('enable -->'));
  });
});

describe('lint: verification margins', () => {
  it('a margins file calibrated before a kind was split off lends that kind its parent margin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margins-'));
    writeFileSync(join(dir, MARGINS_FILE), JSON.stringify({ margins: { 'word-choice': 19.5, spelling: 12.5, inflection: 'x' } }));
    const m = readMargins(dir);
    assert.equal(m.spelling, 12.5);
    assert.equal(m.inflection, 19.5, 'a kind the file lacks (or holds no number for) takes its parent kind');
    assert.equal(m['function-word'], 19.5);
    assert.equal(m['missing-word'], DEFAULT_MARGINS['missing-word'], 'other kinds keep the defaults');
    writeFileSync(join(dir, MARGINS_FILE), JSON.stringify({ margins: { 'word-choice': 19.5, inflection: 8 } }));
    assert.equal(readMargins(dir).inflection, 8);
    writeFileSync(join(dir, MARGINS_FILE), '{ not json');
    assert.deepEqual(readMargins(dir), DEFAULT_MARGINS, 'a damaged file gives the defaults');
  });
});

/**
 * The [replaced text, replacement] pairs that one kind's rule proposes for a sentence, with no word marked surprising,
 * so that only the rule under test proposes.
 */
async function proposedBy(kind: EditKind, sentence: string): Promise<string[][]> {
  const lex = lexiconFor(await engine(), 'en-US', true);
  const words = sentenceWords(sentence).map((w) => ({ ...w, bits: 0, surprising: false, alternatives: [], alternativeProbs: [], rank: 1 }));
  return proposeEdits(sentence, words, lex, { enabled: new Set<EditKind>([kind]) }).map((e) => [sentence.slice(e.start, e.end), e.replacement]);
}

describe('lint: candidate edits', () => {
  it('gives the word opening a sentence (an imperative, the documentation style, a gerund) no other forms, but keeps them for a verb inside it', async () => {
    const lex = lexiconFor(await engine(), 'en-US', true);
    const enabled = new Set<EditKind>(['inflection']);
    const forms = (sentence: string, word: string) => {
      // Every word marked surprising, so that only the rule under test decides.
      const words = sentenceWords(sentence).map((w) => ({ ...w, bits: 20, surprising: true, alternatives: [], alternativeProbs: [], rank: 9 }));
      const at = words.find((w) => w.text === word)!;
      return proposeEdits(sentence, words, lex, { enabled }).filter((e) => e.start === at.start).map((e) => e.replacement);
    };
    assert.deepEqual(forms('Train the new volunteers in April.', 'Train'), []);
    assert.ok(forms('We will train the new volunteers in April.', 'train').includes('trains'));
    assert.deepEqual(forms('Students was happy in the new town.', 'Students'), [], "an opener's agreement is its verb's to fix");
    assert.ok(forms('The students was happy in the new town.', 'was').includes('were'));
    assert.deepEqual(forms('Trains the default model on the corpus.', 'Trains'), [], 'the documentation style: an -s verb before its object');
    assert.deepEqual(forms('Returns `true` when the path matches.', 'Returns'), [], 'the documentation style before code');
    assert.deepEqual(forms('Running the tests takes a minute.', 'Running'), [], 'a gerund');
  });

  it('capitalises the first word of a sentence, not of text that continues one (a long paragraph cut at a colon)', async () => {
    const lex = lexiconFor(await engine(), 'en-US', true);
    const enabled = new Set<EditKind>(['capitalization']);
    const sentence = 'builds the bundle and runs the tests.';
    const words = sentenceWords(sentence).map((w) => ({ ...w, bits: 0, surprising: false, alternatives: [], alternativeProbs: [], rank: 1 }));
    assert.deepEqual(proposeEdits(sentence, words, lex, { enabled }).map((e) => e.replacement), ['Builds']);
    assert.deepEqual(proposeEdits(sentence, words, lex, { enabled, continues: true }), []);
  });

  it('tries the verb form that agrees with a determiner and its noun, wherever the verb stands', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('The reports shows that sales fell.'), [['shows', 'show']]);
    assert.deepEqual(await proposed('This rule have a strong effect.'), [['have', 'has']]);
    assert.deepEqual(await proposed('The children was asleep.'), [['was', 'were']]);
    assert.deepEqual(await proposed('The reports show that sales fell.'), [], 'already agrees');
    assert.deepEqual(await proposed('The news shows that sales fell.'), [], '"news" is not a plural');
    assert.deepEqual(await proposed('These sheep eat grass.'), [], 'a plural determiner: "sheep" is plural here');
    assert.deepEqual(await proposed('Maria shows the way.'), [], 'no determiner, no known subject');
    assert.deepEqual(await proposed('The sides of a cube are squares.'), [], 'a noun after a preposition is not the subject');
    assert.deepEqual(await proposed('If the bill were passed, prices would rise.'), [], 'the subjunctive "were"');
    assert.deepEqual(await proposed('The weights and the loss stay in memory.'), [], 'the last of several subjects');
    assert.deepEqual(await proposed('The heart disease patients shows improvement.'), [['shows', 'show']], 'two words between determiner and noun');
    assert.deepEqual(await proposed('Most of these systems runs on electricity.'), [['runs', 'run']], 'a quantity of a plural');
    assert.deepEqual(await proposed('One of the systems runs on electricity.'), [], '"one of" is singular');
    assert.deepEqual(await proposed('Two of the integration tests was slow.'), [['was', 'were']], 'a number of a plural');
    assert.deepEqual(await proposed('The weather were mild all month.'), [['were', 'was']], 'a mass noun is singular');
    assert.deepEqual(await proposed('This information are out of date.'), [['are', 'is']]);
    assert.deepEqual(await proposed('The staff were friendly.'), [], 'a collective noun takes either number');
    assert.deepEqual(await proposed('The paragraph summarise the notes.'), [['summarise', 'summarises']], "the other dialect's spelling");
    assert.deepEqual(await proposed('If the weather were warmer, we would swim.'), [], 'the subjunctive "were"');
  });

  it('tries the verb form that agrees with the head of a subject before its prepositional phrase', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('The quality of the products are poor.'), [['are', 'is']]);
    assert.deepEqual(await proposed('First, the section on costs need a summary.'), [['need', 'needs']], 'an inner noun without a determiner');
    assert.deepEqual(await proposed('The students in the morning class was late.'), [['was', 'were']]);
    assert.deepEqual(await proposed('The quality of the products is poor.'), [], 'already agrees');
    assert.deepEqual(await proposed('A number of people are waiting.'), [], 'a quantity: the verb follows the noun after "of"');
    assert.deepEqual(await proposed('The rest of the books were lost.'), []);
  });

  it('tries the plural verb for a plural subject without a determiner that opens the sentence', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('Endangered animals is a big problem.'), [['is', 'are']]);
    assert.deepEqual(await proposed('And details is the key.'), [['is', 'are']]);
    assert.deepEqual(await proposed('Two years is enough.'), [], 'a number makes a measure');
    assert.deepEqual(await proposed('Making friends is hard.'), [], 'a gerund subject');
    assert.deepEqual(await proposed('Physics is hard.'), [], 'an -ics noun');
    assert.deepEqual(await proposed('Banks is a common surname.'), [], 'a capitalised noun may be a name');
    assert.deepEqual(await proposed('dollars was legalized in 1994.'), [], 'a fragment in lower case');
  });

  it('tries the verb form that agrees with the noun a relative clause describes', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('We need a tool that convert the files.'), [['convert', 'converts']]);
    assert.deepEqual(await proposed('The people who lives here are kind.'), [['lives', 'live']]);
    assert.deepEqual(await proposed('We read the reports that show the trend.'), [], 'already agrees');
  });

  it('tries "is" or "are" after an existential "there" for the number of what follows', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('There is a few points to fix.'), [['is', 'are']]);
    assert.deepEqual(await proposed('There was several reasons for it.'), [['was', 'were']]);
    assert.deepEqual(await proposed('There are a problem with the printer.'), [['are', 'is']]);
    assert.deepEqual(await proposed('There are a lot of people here.'), [], '"a lot of" leaves the number to its noun');
    assert.deepEqual(await proposed('There are an estimated 300 species.'), [], 'a count of many');
    assert.deepEqual(await proposed('If there were a fire, we would leave.'), [], 'the subjunctive "were"');
  });

  it('tries the irregular past for a regular "-ed" form that is no word, and leaves real words alone', async () => {
    const proposed = (sentence: string) => proposedBy('inflection', sentence);
    assert.deepEqual(await proposed('These men have dealed with it.'), [['dealed', 'dealt']]);
    assert.deepEqual(await proposed('She writed a letter.'), [['writed', 'wrote'], ['writed', 'written']]);
    assert.deepEqual(await proposed('He has cutted the rope.'), [['cutted', 'cut']], 'a doubled consonant');
    assert.deepEqual(await proposed('The school was founded in 1900.'), [], 'a regular verb');
    assert.deepEqual(await proposed('She learned to swim.'), [], 'a word the dictionary knows');
  });

  it('tries the verb form that agrees with a quantity of a plural pronoun', async () => {
    const proposed = (sentence: string) => proposedBy('agreement', sentence);
    assert.deepEqual(await proposed('Most of them was common species.'), [['was', 'were']]);
    assert.deepEqual(await proposed('In the end, some of us was late.'), [['was', 'were']], 'after a comma');
    assert.deepEqual(await proposed('Each of them have a key.'), [['have', 'has']], '"each of" is singular');
    assert.deepEqual(await proposed('All of them also has a key.'), [['has', 'have']], 'an adverb between');
    assert.deepEqual(await proposed('Most of them were common species.'), [], 'already agrees');
    assert.deepEqual(await proposed('Some of these games are old.'), [], '"these" before a noun');
    assert.deepEqual(await proposed('Some of these is wrong.'), [['is', 'are']], '"these" standing alone');
    assert.deepEqual(await proposed('I think most of them was lost.'), [], 'a quantity inside a clause may be an object');
  });

  it("tries the noun's number for the quantity or determiner before it, and leaves a noun phrase that agrees alone", async () => {
    const proposed = (sentence: string) => proposedBy('noun-number', sentence);
    assert.deepEqual(await proposed('There are several reason for the delay.'), [['reason', 'reasons']]);
    assert.deepEqual(await proposed('Looking after many new employee is hard.'), [['employee', 'employees']], 'a modifier between');
    assert.deepEqual(await proposed('Several volunteer came every weekend.'), [['volunteer', 'volunteers']], 'a verb after the noun');
    assert.deepEqual(await proposed('He is one of the best player in the team.'), [['player', 'players']], 'a part of a plural');
    assert.deepEqual(await proposed('We meet every years in the spring.'), [['years', 'year']]);
    assert.deepEqual(await proposed('The number of car in the city is rising.'), [['car', 'cars']], 'a number of a plural');
    assert.deepEqual(await proposed('Every years we meet in the spring.'), [['years', 'year']], 'a capitalised opener');
    assert.deepEqual(await proposed('She gave me a books about birds.'), [['books', 'book']]);
    assert.deepEqual(await proposed('These results show a clear trend.'), [], 'the plural is the noun; the verb after it is no noun');
    assert.deepEqual(await proposed('This shows that the plan works.'), [], '"this" standing for a noun before a verb');
    assert.deepEqual(await proposed('There are two hundred people here.'), [], 'a noun of number stays singular');
    assert.deepEqual(await proposed('There are a lot of scientist here.'), [['scientist', 'scientists']], '"a lot of" a count noun');
    assert.deepEqual(await proposed('We spent a lot of money.'), [], 'a mass noun has no plural to try');
    assert.deepEqual(await proposed('We waited for a few minutes.'), [], '"a few" is a quantity');
  });

  it('tries the other article only where the spelling allows it, and never before a letter or an acronym', async () => {
    const proposed = (sentence: string) => proposedBy('article', sentence);
    assert.deepEqual(await proposed('It is a important day.'), [['a', 'an']]);
    assert.deepEqual(await proposed('We saw an big dog.'), [['an', 'a']]);
    assert.deepEqual(await proposed('An apple a day.'), [], 'both already right by their letters');
    assert.deepEqual(await proposed('It took an hour at a university.'), [['an', 'a'], ['a', 'an']], '"h" and "u" are for the model to hear');
    assert.deepEqual(await proposed('The constructor gets an options object.'), [], 'a vowel letter never asks for "a"');
    assert.deepEqual(await proposed('It has an L-shape and an FBI agent.'), [], 'letters and acronyms');
  });

  it('tries the base form of a verb after a modal or "do", and not after a noun of the same spelling', async () => {
    const proposed = (sentence: string) => proposedBy('inflection', sentence);
    assert.deepEqual(await proposed('She can swims very well.'), [['swims', 'swim']], 'a rare verb keeps its own base form');
    assert.deepEqual(await proposed('He does not knows the answer.'), [['knows', 'know']], 'with "not" between');
    assert.deepEqual(await proposed('We can now grows tomatoes.'), [['grows', 'grow']], 'with an adverb between');
    assert.deepEqual(await proposed('Books will stimulated our imagination.'), [['stimulated', 'stimulate']]);
    assert.deepEqual(await proposed('We will be going soon.'), [], 'an auxiliary between');
    assert.deepEqual(await proposed('The will stated her wishes.'), [], '"will" after a determiner is a noun');
    assert.deepEqual(await proposed('They were the first to sent their thanks.'), [['sent', 'send']], '"to" before a past form and its object');
    assert.deepEqual(await proposed('We gave the work to trained staff.'), [], '"to" as a preposition');
    assert.deepEqual(await proposed('He will went home.'), [], 'no rare verb as the base of an irregular past ("wend")');
  });

  it("tries a word's usual preposition only where the written one is rare after that word in the corpus", async () => {
    const proposed = (sentence: string) => proposedBy('preposition', sentence);
    assert.deepEqual(await proposed('They are interested on history.'), [['on', 'in']]);
    assert.deepEqual(await proposed('She is responsible of the budget.'), [['of', 'for']]);
    assert.deepEqual(await proposed('They are interested in history.'), [], 'the usual preposition');
    assert.deepEqual(await proposed('The train arrived on Monday.'), [], '"arrived on" is a usual choice too');
    assert.deepEqual(await proposed('The firm is based in Leeds.'), [], '"based in" is a usual choice too');
    assert.deepEqual(await proposed('They are Interested on history.'), [], 'a capitalised word may be a name');
    assert.deepEqual(await proposed('He is also responsible of the budget.'), [['of', 'for']], 'an adverb between the linking verb and its predicate');
    assert.deepEqual(await proposed("She's interested on history."), [['on', 'in']], 'a contracted linking verb');
    assert.deepEqual(await proposed('The energy derived within general relativity is not a tensor.'), [], 'not a predicate: the phrase is an adjunct');
  });

  it('tries a missing preposition where the corpus almost never puts a determiner straight after the word', async () => {
    const proposed = (sentence: string) => proposedBy('missing-preposition', sentence);
    assert.deepEqual(await proposed('We went the store.'), [['', 'to ']]);
    assert.deepEqual(await proposed('They listen the radio every morning.'), [['', 'to ']]);
    assert.deepEqual(await proposed('He told the story again.'), [], 'a verb that takes an object');
    assert.deepEqual(await proposed('We went to the store.'), [], 'the preposition is there');
    assert.deepEqual(await proposed('Three causes made the production the most notable.'), [], 'a determiner after a noun opens another phrase');
  });

  it('tries an adverb after the auxiliary of a perfect, never at the start of a sentence', async () => {
    const proposed = (sentence: string) => proposedBy('adverb-position', sentence);
    assert.deepEqual(await proposed('I only have eaten a sandwich today.'), [['only have', 'have only']]);
    assert.deepEqual(await proposed('She just has arrived.'), [['just has', 'has just']]);
    assert.deepEqual(await proposed('I have only eaten a sandwich.'), [], 'already in place');
    assert.deepEqual(await proposed('You only have to ask.'), [], '"have to" is no perfect');
    assert.deepEqual(await proposed('Never have I seen such a thing.'), [], 'an inversion at the start');
  });

  it('tries "have" for "of" after a modal, before a past participle only', async () => {
    const proposed = async (sentence: string) => (await proposedBy('confusable', sentence)).filter(([from]) => from === 'of');
    assert.deepEqual(await proposed('We should of invited them.'), [['of', 'have']]);
    assert.deepEqual(await proposed('They could of been there.'), [['of', 'have']]);
    assert.deepEqual(await proposed('It would of course be better.'), [], 'no participle follows');
    assert.deepEqual(await proposed('The king of Spain arrived.'), [], 'no modal before it');
    assert.deepEqual(await proposed('They feared the might of armed men.'), [], 'the noun "might"');
    assert.deepEqual(await proposed('Should of known better.'), [['of', 'have']], 'a capitalised modal opening the sentence');
  });

  it('tries "too" for "to" before an adjective of degree that ends its phrase, never in a range', async () => {
    const proposed = async (sentence: string) => (await proposedBy('confusable', sentence)).filter(([from]) => from === 'to');
    assert.deepEqual(await proposed('It has grown to big for the corner.'), [['to', 'too']]);
    assert.deepEqual(await proposed('It is to late.'), [['to', 'too']]);
    assert.deepEqual(await proposed('It costs to much.'), [['to', 'too']]);
    assert.deepEqual(await proposed('The colours are to similar.'), [['to', 'too']]);
    assert.deepEqual(await proposed('We walked to the old mill.'), [], 'an adjective inside a noun phrase');
    assert.deepEqual(await proposed('Prices went from cheap to expensive.'), [], '"from ... to" is a range');
    assert.deepEqual(await proposed('Please remember to close the door.'), [], '"close" is a verb as well');
    assert.deepEqual(await proposed('His hair began to thin.'), [], '"thin" is a verb as well');
    assert.deepEqual(await proposed('I prefer hot to cold.'), [], 'a range without "from"');
    assert.deepEqual(await proposed('Set the log level to high.'), [], 'a settings value');
    assert.deepEqual(await proposed('The book appeals to young and old alike.'), [], 'two adjectives joined by "and"');
    assert.deepEqual(await proposed('Apart from that, it is to late.'), [['to', 'too']], '"from" in an earlier clause');
  });

  it('never proposes inserting "that" (a clause may always leave it out)', async () => {
    const lex = lexiconFor(await engine(), 'en-US', true);
    const sentence = 'Researchers have long assumed water on Mars had evaporated.';
    const words = sentenceWords(sentence).map((w) => ({ ...w, bits: 20, surprising: true, alternatives: ['that', 'the'], alternativeProbs: [0.5, 0.3], rank: 9 }));
    const inserted = proposeEdits(sentence, words, lex, { enabled: new Set<EditKind>(['missing-word']) }).map((e) => e.replacement.trim());
    assert.ok(inserted.includes('the'));
    assert.ok(!inserted.includes('that'), JSON.stringify(inserted));
  });

  it('swaps a closed-class word only for one of its class', () => {
    assert.ok(!sameWordClass('that', 'the'), 'an article for a demonstrative is a choice of meaning');
    assert.ok(sameWordClass('this', 'these'));
    assert.ok(sameWordClass('on', 'in'));
    assert.ok(sameWordClass('An', 'the'), 'case does not matter');
    assert.ok(sameWordClass('his', 'her'));
    assert.ok(sameWordClass('is', 'are'));
    assert.ok(!sameWordClass('more', 'you'), 'a determiner is not a pronoun');
    assert.ok(!sameWordClass('your', 'it'), 'a possessive is not a subject pronoun');
    assert.ok(!sameWordClass('in', 'in'));
    assert.ok(!sameWordClass('file', 'and'));
  });
});

describe('lint: soft line breaks', () => {
  it('read as spaces when edits are verified, paragraph breaks kept, offsets unchanged', async () => {
    assert.equal(softBreaksAsSpaces('a\nb\r\nc\n\nd\n \ne'), 'a b  c\n\nd\n \ne');
    // Deleting a word must not win by removing the line break before it.
    const text = 'The owner had just got a letter from the council about the\nnew road. The soup was hot.\n';
    assert.deepEqual((await lint(text)).map((f) => [f.rule, f.text]), []);
  });
});
