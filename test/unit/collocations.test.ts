/** The corpus's word-preposition counts the preposition patterns read: the bundled file and the rules of evidence. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Collocations, COLLOCATIONS_FILE } from '../../src/core/lint/edits/collocations';

describe('lint: corpus collocations', () => {
  const table = Collocations.parse(
    ['interested\t4877\t95\tin:3227,to:67,on:5\tin:1070,on:4', 'arrived\t9736\t197\tat:2380,in:2140,on:402\tat:1200,in:541', 'recovered\t3000\t300\tfrom:500,at:10\tfrom:300', 'told\t28130\t6916\tto:640\tto:100', 'rare\t50\t0\tin:20\tin:20', 'bad line'].join('\n'),
  );

  it('proposes the usual preposition only where the written one is far rarer after the word', () => {
    assert.equal(table.usualPreposition('interested', 'on'), 'in');
    assert.equal(table.usualPreposition('interested', 'of'), 'in', 'never seen after it');
    assert.equal(table.usualPreposition('interested', 'in'), undefined);
    assert.equal(table.usualPreposition('arrived', 'on'), undefined, 'a usual choice too');
    assert.equal(table.usualPreposition('recovered', 'at'), undefined, '"from" follows it too seldom for it to govern one');
    assert.equal(table.usualPreposition('rare', 'on'), undefined, 'too little evidence');
    assert.equal(table.usualPreposition('unknown', 'on'), undefined);
  });

  it('proposes a missing preposition only for a word that almost never takes a determiner straight after it', () => {
    assert.equal(table.prepositionBeforeDeterminer('interested'), 'in');
    assert.equal(table.prepositionBeforeDeterminer('arrived'), 'at');
    assert.equal(table.prepositionBeforeDeterminer('told'), undefined, 'a verb with an object');
    assert.equal(table.size, 5, 'a malformed line is skipped');
  });

  it('reads the bundled model folder, and a folder without the file or with a corrupt one has none', () => {
    const bundled = Collocations.read('models/default');
    assert.ok(bundled.size > 10_000, `${bundled.size} words`);
    assert.equal(bundled.usualPreposition('interested', 'on'), 'in');
    assert.equal(bundled.prepositionBeforeDeterminer('listen'), 'to');
    const dir = mkdtempSync(join(tmpdir(), 'colloc-'));
    assert.equal(Collocations.read(dir).size, 0);
    writeFileSync(join(dir, COLLOCATIONS_FILE), Buffer.from([0, 255, 254, 10, 9, 9]));
    assert.equal(Collocations.read(dir).size, 0);
  });
});
