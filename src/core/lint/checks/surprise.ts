/**
 * Raw surprisal flags, shared by the word and phrase checks: tokens or runs of words the model finds far less likely
 * than usual. Off by default (plausibility.surprise.enabled): a surprising word is not necessarily an error.
 */
import { findSpans } from '../../scoring/spans';
import { toTextScore } from '../../scoring/textScore';
import { perPass, type CheckContext } from '../check';
import type { Finding } from '../finding';
import type { PreparedDocument } from '../prepare';
import { lexiconFor } from '../edits/runner';
import { settingsKey } from '../settings';

function plain(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function surpriseFindings(doc: PreparedDocument, ctx: CheckContext): Promise<Finding[]> {
  return perPass(ctx, 'surprise', async () => {
    const s = ctx.settings;
    const lex = lexiconFor(ctx.engine, s.edits.dialect, s.edits.acceptOtherDialects);
    const sk = settingsKey(s);
    const out: Finding[] = [];
    for (const b of doc.blocks) {
      if (!b.score) continue;
      const key = `surprise|${b.key}|${sk}`;
      let rel = ctx.cache.get(key) as Finding[] | undefined;
      if (!rel) {
        const sc = b.score;
        const spans = findSpans(toTextScore(b.text, sc), ctx.engine.stats, {
          thresholdBits: s.surprise.thresholdBits,
          percentile: s.surprise.percentile,
          calibration: s.surprise.calibration,
          markdown: doc.markdown,
        });
        rel = spans.map((sp) => {
          // Whole-word alternatives only: a token that starts a word and is a dictionary word.
          const i = sc.starts.findIndex((st, j) => st <= sp.start && sp.start < sc.ends[j]);
          const words: string[] = [];
          for (let j = 0; i >= 0 && j < sc.topK; j++) {
            const m = /^ ?([a-zA-Z]+(?:'[a-z]+)?)$/.exec(sc.vocab[sc.topIds[i * sc.topK + j]] ?? '');
            const first = /^[\p{L}\p{N}'’-]+/u.exec(sp.text)?.[0] ?? '';
            if (m && lex.isKnown(m[1]) && m[1].toLowerCase() !== first.toLowerCase() && !words.includes(m[1])) words.push(m[1]);
          }
          const word = sp.kind === 'word';
          const firstWord = /^[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*/u.exec(sp.text)?.[0];
          return {
            rule: word ? 'plausibility/word' : 'plausibility/phrase',
            start: sp.start,
            end: word && firstWord ? sp.start + firstWord.length : sp.end,
            text: word && firstWord ? firstWord : sp.text,
            message: word
              ? `Unexpected word "${plain(firstWord ?? sp.text)}" in this context` + (words.length ? `; the model expected "${words[0]}"` : '')
              : `Unexpected wording "${plain(sp.text)}": the model finds these words unlikely together`,
            severity: sp.severity === 'warning' ? 'warning' : 'info',
            replacement: word && words.length ? words[0] : undefined,
            suggestions: word ? words.slice(1, 4) : [],
            data: { bits: Math.round(sp.bits * 10) / 10, threshold: Math.round(sp.threshold * 10) / 10, score: sp.score, kind: sp.kind },
          } satisfies Finding;
        });
        ctx.cache.set(key, rel);
      }
      for (const f of rel) out.push({ ...f, start: f.start + b.start, end: f.end + b.start });
    }
    return out;
  });
}
