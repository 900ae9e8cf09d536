/**
 * One document preparation for every check and front end: prose masking (Markdown, LaTeX, reStructuredText, comments
 * in code files), paragraph blocks with their left context, and the regions no finding may touch (code, inline code,
 * URLs, front matter, inline directives), all over the whole file.
 */
import type { BlockScore } from '../scoring/blockScore';
import { hashKey, leftContext, maskDocument, PROSE_LANGUAGES, splitBlocks } from '../text/blocks';
import { mergeRanges, Range, skipRegions } from '../text/markdown';

export interface PreparedBlock {
  /** Offset of the block in the document. */
  start: number;
  text: string;
  /** Masked text before the block that conditions its scores. */
  context: string;
  /** Cache key of (context, text). */
  key: string;
  /** Per-token scores (filled by the linter before the checks run). */
  score?: BlockScore;
}

export interface PreparedDocument {
  text: string;
  languageId: string;
  markdown: boolean;
  /** Same length as `text`, with everything that is not prose blanked. */
  masked: string;
  blocks: PreparedBlock[];
  /** Merged regions where no finding may start or end (code, directives, URLs, front matter). */
  skips: Range[];
}

export interface PrepareOptions {
  /** Characters of left context per block. */
  contextChars: number;
  /** Longest block in characters. */
  maxBlockChars: number;
}

/** Block sizes for a model's window: contexts and blocks that fit it with room to spare. */
export function blockSizes(contextLength: number): PrepareOptions {
  return {
    contextChars: Math.max(64, Math.min(400, Math.floor(contextLength * 1.5))),
    maxBlockChars: Math.max(200, Math.min(1500, Math.floor(contextLength * 2.5))),
  };
}

/** Language ids whose whole text is prose (others are checked in their comments). */
export function isProseLanguage(languageId: string): boolean {
  return PROSE_LANGUAGES.has(languageId);
}

export function prepareDocument(text: string, languageId: string, opts: PrepareOptions): PreparedDocument {
  const markdown = languageId === 'markdown';
  const masked = maskDocument(text, languageId);
  const blocks = splitBlocks(masked, opts.maxBlockChars).map((b) => {
    const context = leftContext(masked, b.start, opts.contextChars);
    return { start: b.start, text: b.text, context, key: hashKey(context, b.text) };
  });
  const skips = mergeRanges(skipRegions(text, { markdown, rst: languageId === 'restructuredtext' }));
  return { text, languageId, markdown, masked, blocks, skips };
}
