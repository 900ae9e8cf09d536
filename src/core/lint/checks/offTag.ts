/**
 * Sentences that fit the document's declared tags least: the lowest pointwise mutual information with the tags,
 * log P(sentence | tags, left) − log P(sentence | left), when it is negative (the tags make the sentence less likely).
 * Tags come from Markdown front matter (`tags:` or `plausibility: { tags, synopsis }`) or the editor's
 * `plausibility.tags` setting. Documents without tags are not checked.
 */
import { conditionalScore, loadConditioning, offTagSentences } from '../../scoring/conditional';
import { FeatureUnavailableError } from '../../errors';
import { documentCondition, parseFrontMatter } from '../../text/frontmatter';
import type { Check } from '../check';
import type { Finding } from '../finding';

export const offTagCheck: Check = {
  id: 'plausibility/off-tag',
  description: 'A sentence that fits the declared tags least (the tags make it less likely).',
  defaultSeverity: 'info',
  enabledByDefault: true,
  setting: 'plausibility.offTag.enabled',
  run: async (doc, ctx) => {
    const cond = documentCondition(doc.text, doc.markdown, ctx.settings.tags.declared);
    if (cond.tags.length === 0) return [];
    let conditioning;
    try {
      conditioning = loadConditioning(ctx.engine.info.modelDir);
    } catch (e) {
      if (e instanceof FeatureUnavailableError) return []; // a model trained without tags
      throw e;
    }
    // Score the prose with the front matter blanked (offsets kept).
    let text = doc.masked;
    try {
      const fm = parseFrontMatter(doc.text);
      if (fm) text = text.slice(0, fm.end).replace(/[^\n]/g, ' ') + text.slice(fm.end);
    } catch {
      /* reported by the front-matter check */
    }
    const key = `off-tag|${cond.tags.join('\u0001')}|${cond.synopsis ?? ''}|${text}`;
    let out = ctx.cache.get(key) as Finding[] | undefined;
    if (!out) {
      const s = await conditionalScore(ctx.engine, conditioning, text, cond);
      const tags = cond.tags.join(', ');
      out = offTagSentences(s).map((x) => ({
        rule: 'plausibility/off-tag',
        start: x.start,
        end: x.end,
        text: doc.text.slice(x.start, x.end),
        message: `This sentence fits the declared tags (${tags}) least: with them, the model finds it less likely.`,
        severity: 'info',
        suggestions: [],
        data: { score: Math.round(x.pmiPerToken * 1000) / 1000 },
      }));
      ctx.cache.set(key, out);
    }
    return out;
  },
};
