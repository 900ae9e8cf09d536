/** The worker's side of `lint`: one incremental DocumentLinter per open document, bounded in number. */
import type { Engine } from '../core/engine';
import { DocumentLinter } from '../core/lint/linter';
import type { BlockScore, PrefixCache } from '../core/scoring/blockScore';
import type { LintParams, LintResultMessage } from './protocol';

/** Documents whose caches stay in the worker (least recently linted dropped first). */
const MAX_DOCUMENTS = 32;
const linters = new Map<string, DocumentLinter>();

export async function lintDocument(
  engine: Engine,
  prefixes: PrefixCache,
  p: LintParams,
  signal: AbortSignal,
  onBlock: (b: BlockScore) => void,
): Promise<LintResultMessage> {
  let linter = linters.get(p.doc);
  if (linter) linters.delete(p.doc);
  else linter = new DocumentLinter(engine, prefixes);
  linters.set(p.doc, linter);
  for (const k of linters.keys()) {
    if (linters.size <= MAX_DOCUMENTS) break;
    linters.delete(k);
  }
  // The host mirrors block scores by key: newly scored blocks go out as they finish (a cancelled pass still fills the
  // mirror), then any other block of the result the host lacks.
  const sent = new Set(p.known);
  const send = (b: BlockScore) => {
    if (sent.has(b.key)) return;
    sent.add(b.key);
    onBlock(b);
  };
  const r = await linter.lint(p.text, p.languageId, p.settings, { signal, scoreOnly: p.scoreOnly, onBlock: send });
  for (const b of r.blocks) send(b.score);
  return {
    findings: r.findings,
    blocks: r.blocks.map((b) => ({ start: b.block.start, length: b.block.text.length, key: b.block.key })),
    rescored: r.rescored,
    reused: r.reused,
    tokens: r.tokens,
    nllNats: r.nllNats,
    perplexity: r.perplexity,
    ms: r.ms,
  };
}

export function releaseDocument(doc: string): void {
  linters.delete(doc);
}

export function releaseAllDocuments(): void {
  linters.clear();
}
