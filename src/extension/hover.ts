/**
 * Hover for the token under the cursor: its probability, rank, entropy and the model's top-5 alternatives with
 * their probabilities, plus the sentence's NLL and perplexity. Document text is escaped, never rendered as Markdown.
 */
import * as vscode from 'vscode';
import { formatProb, type Finding } from '../worker/document';
import { escapeMarkdown, findingAt, hoverText } from '../core/lint/describe';
import type { DocumentController } from './documents';

export class TokenHoverProvider implements vscode.HoverProvider {
  constructor(private readonly documents: DocumentController) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const offset = doc.offsetAt(position);
    const finding = findingAt(this.documents.findingsFor(doc), offset);
    if (finding) return findingHover(doc, finding);
    // The per-token view belongs to the heatmap (GLTR): without it, a hover over ordinary words would be noise.
    if (!this.documents.heatmapVisible) return undefined;
    const scorer = this.documents.scorerFor(doc);
    if (!scorer) return undefined;
    const t = scorer.tokenAt(doc.offsetAt(position));
    if (!t) return undefined;
    const text = doc.getText(new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end))).trim();
    if (text === '') return undefined;
    // Whole words only: a token that starts a word and is made of letters (no fragments, no special tokens).
    const words = t.alternatives
      .filter((a) => /^\s\p{L}[\p{L}'’-]*$/u.test(a.text) && a.text.trim().toLowerCase() !== text.toLowerCase())
      .map((a) => a.text.trim());
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.supportHtml = false;
    const how = t.rank === 1 ? 'the word the model expected here' : t.prob >= 0.01 ? 'a likely word here' : 'an unexpected word here';
    md.appendMarkdown(`**Plausibility** · “${escapeMarkdown(text)}” is ${how}.\n\n`);
    if (words.length > 0) md.appendMarkdown(`Words the model expected: ${words.map((w) => `“${escapeMarkdown(w)}”`).join(', ')}\n\n`);
    const s = t.sentence;
    const details = [
      `probability ${formatProb(t.prob)} (${t.bits.toFixed(1)} bits)`,
      `rank ${t.rank}`,
      `entropy ${t.entropyBits.toFixed(1)} bits`,
      `sentence perplexity ${Number.isFinite(s.perplexity) ? s.perplexity.toFixed(1) : '–'} over ${s.tokens} tokens`,
    ];
    md.appendMarkdown(`*Details: ${escapeMarkdown(details.join(' · '))}*`);
    return new vscode.Hover(md, new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)));
  }
}

/** The hover of a finding: the shared words (src/core/lint/describe), as VS Code Markdown. */
export function findingHover(doc: vscode.TextDocument, f: Finding): vscode.Hover {
  const md = new vscode.MarkdownString(hoverText(f, true), false);
  md.isTrusted = false;
  md.supportHtml = false;
  return new vscode.Hover(md, new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end)));
}
