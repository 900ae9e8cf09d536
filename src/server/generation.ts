/**
 * The model's generation features as the server serves them to every editor: rewrites of a span (model, tag-guided
 * or toxicity: the editor's offer, src/core/generation/rewriteRequest), ranking the options of a `{a|b}` selection in
 * context, and ranked completions at a position. Requests are built here from the document and the settings, so no
 * client restates which tags a document declares or which margin applies.
 */
import type { Engine } from '../core/engine';
import { InputError } from '../core/errors';
import { offerForRequest, rankedCompletions, rankOptions, type RankedOption, type RewriteResult } from '../core/generation/rewrite';
import { parseAlternatives } from '../core/text/alternatives';
import { documentCondition } from '../core/text/frontmatter';
import type { ServerSettings } from './settings';

export type RewriteKind = 'model' | 'toxicity';

/**
 * Rewrites of text[start, end). A model rewrite becomes tag-guided when the document declares tags (and the
 * guidance weight is above 0); a toxicity rewrite changes only the toxic part, judged by the configured head.
 */
export function offerDocumentRewrites(
  engine: Engine,
  text: string,
  span: { start: number; end: number; kind: RewriteKind; markdown: boolean },
  settings: ServerSettings,
  signal?: AbortSignal,
): Promise<RewriteResult> {
  const { start, end, markdown } = span;
  const common = { text, start, end, markdown, maxNllIncrease: settings.rewrite.maxNllIncrease };
  if (span.kind === 'toxicity') return offerForRequest(engine, { ...common, kind: 'toxicity', head: settings.lint.toxicity.head }, signal);
  const cond = documentCondition(text, markdown, settings.lint.tags.declared);
  const tagged = cond.tags.length > 0 && settings.rewrite.cfgWeight > 0;
  return offerForRequest(
    engine,
    { ...common, kind: tagged ? 'tags' : 'model', tags: tagged ? cond.tags : undefined, synopsis: cond.synopsis, cfgWeight: settings.rewrite.cfgWeight },
    signal,
  );
}

/** Ranks the options of a selection (`{one|two}` or one per line) by NLL in the text around it, best first. */
export function rankSelection(engine: Engine, text: string, start: number, end: number): Promise<RankedOption[]> {
  if (!(end > start)) throw new InputError('select {option one|option two} or several lines to rank', 'USAGE');
  const options = parseAlternatives(text.slice(start, end));
  return rankOptions(engine, text.slice(Math.max(0, start - 4000), start), text.slice(end, end + 2000), options);
}

/** Ranked continuations of the text before `offset` (inline completions): only at the end of a line's text. */
export async function completionsAt(engine: Engine, text: string, offset: number, signal?: AbortSignal): Promise<{ text: string; nllPerToken: number }[]> {
  const lineEnd = text.indexOf('\n', offset);
  if (text.slice(offset, lineEnd < 0 ? text.length : lineEnd).trim() !== '') return [];
  const prefix = text.slice(Math.max(0, offset - 3000), offset);
  if (!prefix.trim()) return [];
  const ranked = await rankedCompletions(engine, prefix, { count: 4, maxTokens: 16, signal });
  return ranked.map((c) => ({ text: c.text, nllPerToken: c.nllPerToken }));
}
