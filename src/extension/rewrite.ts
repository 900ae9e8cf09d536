/**
 * "Rewrite with the model…" on a flagged span (or a selection): the worker samples candidate replacements from a
 * product of experts (the left context and, when the document declares tags, the tag-conditioned expert with the
 * `plausibility.rewrite.cfgWeight` weight) and ranks them by the NLL of the whole sentence, right context included.
 * The best 3 become quick fixes titled with their NLL gain; none is worse than the original, and nothing is edited
 * unless the user picks one.
 */
import * as vscode from 'vscode';
import { declaredCondition, FrontMatterError } from '../core/frontmatter';
import type { RewriteInfo } from '../worker/genProtocol';
import { CancelledError } from '../worker/protocol';
import type { DocumentController } from './documents';
import { SOURCE } from './documents';
import type { EngineService } from './engine';
import { withCancellableProgress } from './progress';

export const COMMAND_REWRITE = 'plausibility.rewriteSpan';

/** Settings of the generation features (read on use). */
export function genSettings(scope?: vscode.ConfigurationScope) {
  const c = vscode.workspace.getConfiguration('plausibility', scope);
  const tags = c.get<unknown>('tags');
  const cfg = c.get<number>('rewrite.cfgWeight', 1.5);
  return {
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string' && t.trim() !== '').map((t) => t.trim()) : [],
    cfgWeight: typeof cfg === 'number' && Number.isFinite(cfg) ? Math.max(0, Math.min(10, cfg)) : 1.5,
    offTag: c.get<boolean>('offTag.enabled', true) !== false,
    inline: c.get<boolean>('inlineCompletions.enabled', false) === true,
  };
}

/** The tags a document declares: front matter first, else the `plausibility.tags` setting. */
export function documentCondition(doc: vscode.TextDocument): { tags: string[]; synopsis?: string; error?: FrontMatterError } {
  let error: FrontMatterError | undefined;
  if (doc.languageId === 'markdown') {
    try {
      const d = declaredCondition(doc.getText());
      if (d) return { tags: d.tags, synopsis: d.synopsis };
    } catch (e) {
      if (e instanceof FrontMatterError) error = e;
      else throw e;
    }
  }
  return { tags: genSettings(doc.uri).tags, error };
}

function gainTitle(original: string, text: string, gain: number): string {
  const short = (s: string) => (s.length > 60 ? s.slice(0, 57) + '…' : s);
  return `Rewrite "${short(original)}" → "${short(text)}" (−${gain.toFixed(1)} nats)`;
}

export class RewriteProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, vscode.CodeActionKind.RefactorRewrite],
  };
  /** Rewrites computed for (document version, span), shown as quick fixes. */
  private readonly results = new Map<string, RewriteInfo>();
  private pending: AbortController | undefined;

  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private key(doc: vscode.TextDocument, start: number, end: number): string {
    return `${doc.uri.toString()}@${doc.version}:${start}-${end}`;
  }

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (!this.documents.isEligible(doc)) return [];
    const out: vscode.CodeAction[] = [];
    const spans: { start: number; end: number; diagnostic?: vscode.Diagnostic }[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== SOURCE) continue;
      spans.push({ start: doc.offsetAt(d.range.start), end: doc.offsetAt(d.range.end), diagnostic: d });
    }
    if (spans.length === 0 && !range.isEmpty) spans.push({ start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) });
    for (const s of spans) {
      const cached = this.results.get(this.key(doc, s.start, s.end));
      if (cached) {
        cached.candidates.forEach((c, i) => {
          const a = new vscode.CodeAction(gainTitle(cached.original, c.text, c.gain), vscode.CodeActionKind.QuickFix);
          a.edit = new vscode.WorkspaceEdit();
          a.edit.replace(doc.uri, new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)), c.text);
          if (s.diagnostic) a.diagnostics = [s.diagnostic];
          a.isPreferred = i === 0;
          out.push(a);
        });
        continue;
      }
      const kind = s.diagnostic ? vscode.CodeActionKind.QuickFix : vscode.CodeActionKind.RefactorRewrite;
      const a = new vscode.CodeAction('Rewrite with the model…', kind);
      a.command = { command: COMMAND_REWRITE, title: 'Rewrite with the model…', arguments: [doc.uri, s.start, s.end] };
      if (s.diagnostic) a.diagnostics = [s.diagnostic];
      out.push(a);
    }
    return out;
  }

  /**
   * The command: computes rewrites for [start, end) of the document (default: the active selection), then lets the
   * user pick one (QuickPick) or, with `choose` (0-based index, for tests), applies that candidate. Returns the
   * rewrite result, or undefined when cancelled or failed (the message was shown).
   */
  async run(uri?: vscode.Uri, start?: number, end?: number, choose?: number): Promise<RewriteInfo | undefined> {
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
    const info = await this.engine.ensureLoaded(this.documents.settings);
    if (!info) return undefined;
    const cond = documentCondition(doc);
    const s = genSettings(doc.uri);
    this.pending?.abort();
    const ac = new AbortController();
    this.pending = ac;
    let res: RewriteInfo;
    try {
      res = await withCancellableProgress(
        'Plausibility: rewriting with the model…',
        (signal) =>
          this.engine.engine.request(
            'rewrite',
            {
              text: doc.getText(),
              start: start!,
              end: end!,
              count: 3,
              tags: cond.tags.length ? cond.tags : undefined,
              synopsis: cond.synopsis,
              cfgWeight: s.cfgWeight,
              markdown: doc.languageId === 'markdown',
            },
            { signal },
          ),
        ac,
      );
    } catch (e) {
      if (e instanceof CancelledError) return undefined;
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
    this.results.clear();
    this.results.set(this.key(doc, start, end), res);
    this.log.info(`rewrite of ${JSON.stringify(res.original)}: ${res.candidates.length} of ${res.considered} candidates beat it (${res.ms} ms)`);
    if (res.candidates.length === 0) {
      void vscode.window.showInformationMessage(
        `Plausibility: the model found no rewrite of "${res.original}" that reads better in its sentence.`,
      );
      return res;
    }
    let pick: number | undefined = choose;
    if (pick === undefined) {
      const items = res.candidates.map((c, i) => ({
        label: c.text,
        description: `−${c.gain.toFixed(2)} nats (sentence NLL ${c.nll.toFixed(1)} vs ${res.originalNll.toFixed(1)})`,
        detail: c.sentence,
        index: i,
      }));
      const chosen = await vscode.window.showQuickPick(items, { title: `Rewrite "${res.original}"`, placeHolder: 'Pick a replacement (Escape keeps the text)' });
      pick = chosen?.index;
    }
    if (pick === undefined || !res.candidates[pick]) return res;
    if (doc.version !== version) return res;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(start), doc.positionAt(end)), res.candidates[pick].text);
    await vscode.workspace.applyEdit(edit);
    return res;
  }

  dispose(): void {
    this.pending?.abort();
    this.results.clear();
  }
}
