/**
 * Words for a finding, shared by every front end's hover (the VS Code extension, the language server): what the fix
 * changes and how much more likely the sentence becomes; the numbers only in a details line. Also the keys by which
 * a writer's suppressions (ignored spans, allow-listed phrases) match findings.
 */
import type { Finding } from './finding';

export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~&"]/g, (c) => `\\${c}`);
}

/** How many times more likely, in words a writer reads ("about 40 times", "over a million times"). */
export function timesMoreLikely(bits: number): string {
  const x = 2 ** bits;
  if (x >= 1e6) return 'over a million times';
  if (x >= 1000) return `about ${Math.round(x / 1000).toLocaleString('en')} thousand times`;
  return `about ${Math.max(2, Math.round(x))} times`;
}

/** The finding under `offset` (the narrowest when several overlap). */
export function findingAt(findings: readonly Finding[], offset: number): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings) {
    if (f.start <= offset && offset < f.end && (!best || f.end - f.start < best.end - best.start)) best = f;
  }
  return best;
}

/** A finding's hover: paragraphs in Markdown (document text escaped, never rendered) or plain text. */
export function hoverText(f: Finding, markdown: boolean): string {
  const esc = markdown ? escapeMarkdown : (s: string) => s;
  const parts: string[] = [`${markdown ? '**Plausibility**' : 'Plausibility'} · ${esc(f.message)}`];
  if (f.replacement !== undefined && f.data.gainBits !== undefined) {
    const change = f.replacement === '' ? `Deleting “${esc(f.text.trim())}”` : `“${esc(f.text)}” → “${esc(f.replacement)}”`;
    parts.push(`${change} makes the sentence ${timesMoreLikely(f.data.gainBits)} more likely under the model.`);
  }
  if (f.suggestions.length) parts.push(`Other options: ${f.suggestions.map((x) => `“${esc(x)}”`).join(', ')}`);
  const details: string[] = [`rule ${f.rule}`];
  if (f.data.gainBits !== undefined) details.push(`gain ${f.data.gainBits.toFixed(1)} bits`);
  if (f.data.bits !== undefined) details.push(`surprisal ${f.data.bits.toFixed(1)} bits (threshold ${f.data.threshold?.toFixed(1)})`);
  parts.push(markdown ? `*Details: ${esc(details.join(' · '))}*` : `Details: ${details.join(' · ')}`);
  return parts.join('\n\n');
}

/** An allow-list phrase as it is matched: case and runs of whitespace ignored. */
export function normalizePhrase(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** A span key that survives edits elsewhere: the span's text and a little of what surrounds it. */
export function spanKey(text: string, f: Pick<Finding, 'start' | 'end'>): string {
  const before = text.slice(Math.max(0, f.start - 24), f.start).replace(/\s+/g, ' ');
  const after = text.slice(f.end, f.end + 24).replace(/\s+/g, ' ');
  return `${before}\u0001${text.slice(f.start, f.end)}\u0001${after}`;
}

/** The phrases of an allow-list file's text: one per line, `#` starts a comment, matched case- and space-insensitively. */
export function parseAllowList(text: string): Set<string> {
  const phrases = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.replace(/(^|\s)#.*$/, '').trim();
    if (t) phrases.add(normalizePhrase(t));
  }
  return phrases;
}

/** The findings a writer has not switched off: not on the allow-list, and not an ignored span of this text. */
export function suppressFindings<F extends { start: number; end: number; text: string }>(
  text: string,
  findings: F[],
  allow: ReadonlySet<string> | undefined,
  ignored: ReadonlySet<string> | undefined,
): F[] {
  if (!allow?.size && !ignored?.size) return findings;
  return findings.filter((f) => !allow?.has(normalizePhrase(f.text)) && !ignored?.has(spanKey(text, f)));
}
