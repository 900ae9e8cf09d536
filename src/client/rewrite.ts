/**
 * "Rewrite with the model…" on a flagged span (or a selection), and the picker and quick fixes every rewrite shares
 * (the toxicity rewrite too). The language server offers only rewrites that pass the core checks (src/core/generation): content
 * kept, complete, not toxic by the head or the lexicon, and fluent enough in the whole sentence (a model rewrite must
 * beat the original; a tag-guided one may be `plausibility.rewrite.maxNllIncrease` nats per token less fluent).
 * The picker shows each candidate as a diff against the original and applies nothing until one is chosen (its first,
 * active item keeps the text); afterwards the offered candidates are quick fixes on the same span.
 */
import * as vscode from 'vscode';
import type { RewriteCandidate, RewriteResult } from '../core/generation/rewrite';
import { COMMANDS, SOURCE, TOXICITY_RULE } from '../server/protocol';
import { isChecked } from './config';
import type { ServerCommand } from './serverCommand';
import { withCancellableProgress } from './progress';

export const COMMAND_REWRITE = 'plausibility.rewriteSpan';

/** Asks the server for the rewrites of [start, end) (it reads the document's language and tags, and the margins). */
export function requestRewrites(
  server: ServerCommand,
  doc: vscode.TextDocument,
  span: ({ start: number; end: number } | { offset: number }) & { kind: 'model' | 'toxicity' },
  token?: vscode.CancellationToken,
): Promise<RewriteResult> {
  return server<RewriteResult>(COMMANDS.rewrite, [{ uri: doc.uri.toString(), ...span }], token);
}

/** One offered rewrite, kept for the quick fixes of its span. */
interface OfferedRewrites {
  uri: string;
  version: number;
  /** The span the rewrite was asked for (a finding's span, a selection, a flagged sentence). */
  start: number;
  end: number;
  result: RewriteResult;
}

const RECENT_OFFERS = 16;
/** The latest offers, newest last; only those of a document's current version are used. */
const offers: OfferedRewrites[] = [];

export function rememberOffer(doc: vscode.TextDocument, start: number, end: number, result: RewriteResult): void {
  const i = offers.findIndex((o) => o.uri === doc.uri.toString() && o.start === start && o.end === end);
  if (i >= 0) offers.splice(i, 1);
  offers.push({ uri: doc.uri.toString(), version: doc.version, start, end, result });
  if (offers.length > RECENT_OFFERS) offers.shift();
}

/** The cached rewrites of [start, end) of the document as it is now (never computed here). */
export function cachedOffer(doc: vscode.TextDocument, start: number, end: number): RewriteResult | undefined {
  return offers.find((o) => o.uri === doc.uri.toString() && o.version === doc.version && o.start === start && o.end === end)?.result;
}

const short = (s: string, n = 60) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** "~~old~~ → new" with a few words of the sentence around it: what applying the candidate changes. */
export function diffPreview(docText: string, sentence: { start: number; end: number }, c: RewriteCandidate): string {
  const before = docText.slice(sentence.start, c.start).split(/(?<=\s)/).slice(-6).join('');
  const after = docText.slice(c.end, sentence.end).split(/(?=\s)/).slice(0, 6).join('');
  const old = docText.slice(c.start, c.end).trim();
  const change = c.text ? `~~${old}~~ → ${c.text}` : `~~${old}~~ → (deleted)`;
  const lead = sentence.start < c.start - before.length ? '…' : '';
  const tail = c.end + after.length < sentence.end ? '…' : '';
  return `${lead}${before.trimStart()}${before.endsWith(' ') || !before ? '' : ' '}${change}${after.startsWith(' ') || !after ? '' : ' '}${after.trimEnd()}${tail}`;
}

function fluencyNote(res: RewriteResult, c: RewriteCandidate): string {
  const d = c.nllPerToken - res.originalNllPerToken;
  return `${d <= 0 ? '−' : '+'}${Math.abs(d).toFixed(2)} nats/token vs the original` + (c.pUnwanted !== undefined ? ` · p(toxic) ${c.pUnwanted.toFixed(2)}` : '');
}

/** Quick fixes for the offered candidates of a cached rewrite, best first. */
export function rewriteActions(doc: vscode.TextDocument, res: RewriteResult, diagnostic?: vscode.Diagnostic): vscode.CodeAction[] {
  const text = doc.getText();
  return res.candidates.map((c, i) => {
    const old = text.slice(c.start, c.end).trim();
    const title = c.text ? `Rewrite "${short(old)}" → "${short(c.text)}" (${fluencyNote(res, c)})` : `Delete "${short(old)}" (${fluencyNote(res, c)})`;
    const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    a.edit = new vscode.WorkspaceEdit();
    a.edit.replace(doc.uri, new vscode.Range(doc.positionAt(c.start), doc.positionAt(c.end)), c.text);
    if (diagnostic) a.diagnostics = [diagnostic];
    a.isPreferred = i === 0 && res.kind === 'model';
    return a;
  });
}

type CandidateItem = vscode.QuickPickItem & { candidate?: RewriteCandidate };

/**
 * Shows the offered candidates as diffs against the original and returns the one chosen. The first, active item
 * keeps the text as it is, so Enter alone changes nothing; `choose` (0-based, for tests) picks without asking.
 */
export async function pickRewrite(doc: vscode.TextDocument, res: RewriteResult, title: string, choose?: number): Promise<RewriteCandidate | undefined> {
  if (choose !== undefined) return res.candidates[choose];
  const text = doc.getText();
  const keep: CandidateItem = { label: '$(close) Keep the original', description: short(res.original, 80), detail: 'Leaves the text unchanged' };
  const items: CandidateItem[] = [
    keep,
    { label: 'Rewrites (each shown as ~~original~~ → rewrite)', kind: vscode.QuickPickItemKind.Separator },
    ...res.candidates.map((c) => ({
      label: c.text ? c.text : '(delete)',
      description: fluencyNote(res, c),
      detail: diffPreview(text, res.sentence, c),
      candidate: c,
    })),
  ];
  const qp = vscode.window.createQuickPick<CandidateItem>();
  qp.title = title;
  qp.placeholder = 'Choose a rewrite to apply; Enter on "Keep the original" or Escape changes nothing';
  qp.canSelectMany = false;
  qp.matchOnDetail = true;
  qp.items = items;
  qp.activeItems = [keep];
  const chosen = await new Promise<CandidateItem | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return chosen?.candidate;
}

/** Applies a chosen candidate if the document is still the version it was computed for. */
export async function applyRewrite(doc: vscode.TextDocument, version: number, c: RewriteCandidate): Promise<boolean> {
  if (doc.version !== version) {
    void vscode.window.showWarningMessage('Plausibility: the document changed meanwhile; nothing was replaced.');
    return false;
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(doc.positionAt(c.start), doc.positionAt(c.end)), c.text);
  return vscode.workspace.applyEdit(edit);
}

export class RewriteProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite],
  };
  private pending: AbortController | undefined;

  constructor(
    private readonly server: ServerCommand,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (!isChecked(doc)) return [];
    const out: vscode.CodeAction[] = [];
    const spans: { start: number; end: number; diagnostic?: vscode.Diagnostic }[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== SOURCE) continue;
      spans.push({ start: doc.offsetAt(d.range.start), end: doc.offsetAt(d.range.end), diagnostic: d });
    }
    if (spans.length === 0 && !range.isEmpty) spans.push({ start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) });
    for (const s of spans) {
      // Once computed, the offered rewrites are quick fixes themselves (read from the cache, never computed here).
      const cached = cachedOffer(doc, s.start, s.end);
      if (cached) {
        out.push(...rewriteActions(doc, cached, s.diagnostic));
        continue;
      }
      if (s.diagnostic?.code === TOXICITY_RULE) continue; // ./toxicity offers its own rewrite
      const kind = s.diagnostic ? vscode.CodeActionKind.QuickFix : vscode.CodeActionKind.RefactorRewrite;
      const a = new vscode.CodeAction('Rewrite with the model…', kind);
      a.command = { command: COMMAND_REWRITE, title: 'Rewrite with the model…', arguments: [doc.uri, s.start, s.end] };
      if (s.diagnostic) a.diagnostics = [s.diagnostic];
      out.push(a);
    }
    return out;
  }

  /**
   * The command: computes the rewrites of [start, end) (default: the active selection), shows them in the picker
   * (or, with `choose`, applies that candidate), and keeps them for the quick fixes. Returns the result, or undefined
   * when cancelled or failed (the message was shown).
   */
  async run(uri?: vscode.Uri, start?: number, end?: number, choose?: number): Promise<RewriteResult | undefined> {
    const editor = vscode.window.activeTextEditor;
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!doc) {
      void vscode.window.showInformationMessage('Plausibility: open a document and select the words to rewrite.');
      return undefined;
    }
    if (start === undefined || end === undefined) {
      if (!editor || editor.document !== doc) return undefined;
      start = doc.offsetAt(editor.selection.start);
      end = doc.offsetAt(editor.selection.end);
    }
    const version = doc.version;
    this.pending?.abort();
    const ac = new AbortController();
    this.pending = ac;
    let res: RewriteResult;
    try {
      res = await withCancellableProgress(
        'Plausibility: rewriting with the model…',
        (token) => requestRewrites(this.server, doc, { start: start!, end: end!, kind: 'model' }, token),
        ac,
      );
    } catch (e) {
      if (ac.signal.aborted) return undefined;
      const msg = e instanceof Error ? e.message : String(e);
      this.log.warn(`rewrite failed: ${msg}`);
      void vscode.window.showWarningMessage(`Plausibility: ${msg}`);
      return undefined;
    } finally {
      if (this.pending === ac) this.pending = undefined;
    }
    if (doc.version !== version) {
      void vscode.window.showInformationMessage('Plausibility: the document changed while rewriting; try again.');
      return undefined;
    }
    rememberOffer(doc, start, end, res);
    this.log.info(`rewrite of ${JSON.stringify(res.original)}: ${res.candidates.length} of ${res.considered} candidates passed (rejected ${JSON.stringify(res.rejected ?? {})}, ${res.ms} ms)`);
    if (res.candidates.length === 0) {
      void vscode.window.showInformationMessage(
        res.kind === 'tags'
          ? `Plausibility: no rewrite of "${res.original}" kept its content, stayed non-toxic and read about as well as the original.`
          : `Plausibility: no rewrite of "${res.original}" kept its content, stayed non-toxic and read better in its sentence; the text is left as it is.`,
      );
      return res;
    }
    const pick = await pickRewrite(doc, res, `Rewrite "${short(res.original)}"`, choose);
    if (pick) await applyRewrite(doc, version, pick);
    return res;
  }

  dispose(): void {
    this.pending?.abort();
    offers.length = 0;
  }
}
