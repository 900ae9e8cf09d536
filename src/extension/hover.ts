/**
 * Hover for the token under the cursor: its probability, rank, entropy and the model's top-5 alternatives with
 * their probabilities, plus the sentence's NLL and perplexity. Document text is escaped, never rendered as Markdown.
 */
import * as vscode from 'vscode';
import { formatProb, type Finding } from '../worker/document';
import type { DocumentController } from './documents';

/** Shows a token with visible whitespace, escaped for Markdown. */
export function showToken(s: string): string {
  const visible = s.replace(/\r?\n/g, '↵').replace(/\t/g, '⇥').replace(/^ /, '␣');
  return escapeMarkdown(visible || '∅');
}

export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~&"]/g, (c) => `\\${c}`);
}

export class TokenHoverProvider implements vscode.HoverProvider {
  constructor(private readonly documents: DocumentController) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const offset = doc.offsetAt(position);
    const finding = this.documents.findingsFor(doc).find((f) => f.start <= offset && offset < f.end);
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

/** How many times more likely, in words a writer reads ("about 40 times", "over a million times"). */
export function timesMoreLikely(bits: number): string {
  const x = 2 ** bits;
  if (x >= 1e6) return 'over a million times';
  if (x >= 1000) return `about ${Math.round(x / 1000).toLocaleString('en')} thousand times`;
  return `about ${Math.max(2, Math.round(x))} times`;
}

/** The hover of a finding: what changes and how much more likely the sentence becomes; numbers in the details. */
export function findingHover(doc: vscode.TextDocument, f: Finding): vscode.Hover {
  const md = new vscode.MarkdownString(undefined, false);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**Plausibility** · ${escapeMarkdown(f.message)}\n\n`);
  if (f.replacement !== undefined && f.data.gainBits !== undefined) {
    const change = f.replacement === '' ? `Deleting “${escapeMarkdown(f.text.trim())}”` : `“${escapeMarkdown(f.text)}” → “${escapeMarkdown(f.replacement)}”`;
    md.appendMarkdown(`${change} makes the sentence ${timesMoreLikely(f.data.gainBits)} more likely under the model.\n\n`);
  }
  if (f.suggestions.length) md.appendMarkdown(`Other options: ${f.suggestions.map((x) => `“${escapeMarkdown(x)}”`).join(', ')}\n\n`);
  const details: string[] = [`rule ${f.rule}`];
  if (f.data.gainBits !== undefined) details.push(`gain ${f.data.gainBits.toFixed(1)} bits`);
  if (f.data.bits !== undefined) details.push(`surprisal ${f.data.bits.toFixed(1)} bits (threshold ${f.data.threshold?.toFixed(1)})`);
  md.appendMarkdown(`*Details: ${escapeMarkdown(details.join(' · '))}*`);
  return new vscode.Hover(md, new vscode.Range(doc.positionAt(f.start), doc.positionAt(f.end)));
}
