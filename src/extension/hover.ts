/**
 * Hover for the token under the cursor: its probability, rank, entropy and the model's top-5 alternatives with
 * their probabilities, plus the sentence's NLL and perplexity. Document text is escaped, never rendered as Markdown.
 */
import * as vscode from 'vscode';
import { formatProb, type Finding } from '../worker/document';
import { escapeMarkdown, findingAt, hoverText } from '../core/lint/describe';
import type { DocumentController } from './documents';

/** Shows a token with visible whitespace, escaped for Markdown. */
export function showToken(s: string): string {
  const visible = s.replace(/\r?\n/g, '↵').replace(/\t/g, '⇥').replace(/^ /, '␣');
  return escapeMarkdown(visible || '∅');
}

export { escapeMarkdown } from '../core/lint/describe';

export class TokenHoverProvider implements vscode.HoverProvider {
  constructor(private readonly documents: DocumentController) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const offset = doc.offsetAt(position);
    const finding = findingAt(this.documents.findingsFor(doc), offset);
    if (finding) return findingHover(doc, finding);
    const scorer = this.documents.scorerFor(doc);
    if (!scorer) return undefined;
    const t = scorer.tokenAt(doc.offsetAt(position));
    if (!t) return undefined;
    const text = doc.getText(new vscode.Range(doc.positionAt(t.start), doc.positionAt(t.end)));
    if (text.trim() === '') return undefined;
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendMarkdown(`**Plausibility** · token **${showToken(text)}**\n\n`);
    md.appendMarkdown(`| | |\n|---|---|\n`);
    md.appendMarkdown(`| probability | ${formatProb(t.prob)} (${t.bits.toFixed(2)} bits) |\n`);
    md.appendMarkdown(`| rank | ${t.rank} |\n`);
    md.appendMarkdown(`| entropy | ${t.entropyBits.toFixed(2)} bits |\n\n`);
    if (t.alternatives.length > 0) {
      md.appendMarkdown(`**Top alternatives:** `);
      md.appendMarkdown(t.alternatives.map((a) => `“${showToken(a.text)}” ${formatProb(a.prob)}`).join(' · '));
      md.appendMarkdown('\n\n');
    }
    const s = t.sentence;
    md.appendMarkdown(
      `Sentence: NLL ${s.nllNats.toFixed(1)} nats over ${s.tokens} tokens · perplexity ${Number.isFinite(s.perplexity) ? s.perplexity.toFixed(1) : '–'}`,
    );
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
