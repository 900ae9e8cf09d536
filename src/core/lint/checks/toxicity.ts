/**
 * Sentences the toxicity head (a linear classifier over the model's hidden states) scores at or above its calibrated
 * threshold. Prose sentences only: headings, code, front matter and sentences without a content word are skipped.
 * Off by default (a check of tone, not of errors): `plausibility.toxicity.enabled` or `lint --toxicity`.
 */
import { ClassifierHead, proseSentences } from '../../heads/discriminator';
import type { Engine } from '../../engine';
import { FeatureUnavailableError } from '../../errors';
import type { Check } from '../check';
import type { Finding } from '../finding';

const heads = new WeakMap<Engine, Map<string, ClassifierHead>>();

function headFor(e: Engine, spec: string): ClassifierHead {
  let m = heads.get(e);
  if (!m) heads.set(e, (m = new Map()));
  let h = m.get(spec);
  if (!h) m.set(spec, (h = ClassifierHead.forEngine(e, spec)));
  return h;
}

export const toxicityCheck: Check = {
  id: 'plausibility/toxicity',
  description: 'A sentence the toxicity head scores as likely toxic (insults, threats, hostility).',
  defaultSeverity: 'warning',
  enabledByDefault: false,
  setting: 'plausibility.toxicity.enabled',
  run: async (doc, ctx) => {
    const t = ctx.settings.toxicity;
    let head: ClassifierHead;
    try {
      head = headFor(ctx.engine, t.head);
    } catch (e) {
      // A model without hidden states or without a head: the check has nothing to run on.
      if (e instanceof FeatureUnavailableError) return [];
      throw e;
    }
    const u = head.unwantedIndex ?? head.classNames.length - 1;
    const threshold = t.threshold ?? head.decisionThreshold ?? 0.5;
    const sentences = proseSentences(doc.text, { markdown: doc.markdown });
    const key = (s: string) => `toxicity|${t.head}|${s}`;
    const todo = [...new Set(sentences.map((s) => s.text).filter((s) => !ctx.cache.has(key(s))))];
    if (todo.length) {
      const probs = await head.classify(ctx.engine, todo);
      todo.forEach((s, i) => ctx.cache.set(key(s), probs[i][u]));
    }
    const out: Finding[] = [];
    for (const s of sentences) {
      const p = ctx.cache.get(key(s.text)) as number;
      if (!(p >= threshold)) continue;
      out.push({
        rule: 'plausibility/toxicity',
        start: s.start,
        end: s.end,
        text: s.text,
        message: 'This sentence may read as hostile or offensive.',
        severity: 'warning',
        suggestions: [],
        data: { score: Math.round(p * 1000) / 1000, threshold },
      });
    }
    return out;
  },
};
