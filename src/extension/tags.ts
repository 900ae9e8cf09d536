/**
 * Tags in the editor (conditional pretraining):
 *
 * - A document declares its tags in Markdown front matter (`tags:` or `plausibility: { tags, synopsis }`) or in the
 *   `plausibility.tags` setting. Sentences whose PMI with the declared tags is lowest, log P(sentence | tags, left) −
 *   log P(sentence | left), are flagged as off-tag: diagnostics with their own code (`off-tag`), off with
 *   `plausibility.offTag.enabled`.
 * - Malformed front matter gets one diagnostic (code `front-matter`) with the YAML error; the document is still
 *   linted, without tags.
 * - The hover shows the tags the model infers for the paragraph under the cursor (P(paragraph | tag), normalised).
 */
import * as vscode from 'vscode';
import { parseFrontMatter } from '../core/text/frontmatter';
import { skipRegions } from '../core/text/markdown';
import type { InferredTag } from '../worker/genProtocol';
import { CancelledError } from '../worker/protocol';
import type { DocumentController } from './documents';
import { SOURCE } from './documents';
import type { EngineService } from './engine';
import { documentCondition, genSettings } from './rewrite';

export const OFF_TAG_CODE = 'off-tag';
export const FRONT_MATTER_CODE = 'front-matter';

interface State {
  version: number;
  key: string;
  abort?: AbortController;
  timer?: NodeJS.Timeout;
}

export class TagController implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection(`${SOURCE}-tags`);
  private readonly states = new Map<string, State>();
  private readonly paragraphCache = new Map<string, { ranking: InferredTag[]; tokens: number }>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.diagnostics,
      documents.onDidUpdate((doc) => this.schedule(doc)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.clear(doc)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('plausibility')) return;
        for (const doc of vscode.workspace.textDocuments) {
          const st = this.states.get(doc.uri.toString());
          if (st) st.key = '';
          this.schedule(doc);
        }
      }),
    );
  }

  private clear(doc: vscode.TextDocument): void {
    const k = doc.uri.toString();
    const st = this.states.get(k);
    st?.abort?.abort();
    if (st?.timer) clearTimeout(st.timer);
    this.states.delete(k);
    this.diagnostics.delete(doc.uri);
  }

  /** After the main findings of a document are published, checks its sentences against its declared tags. */
  schedule(doc: vscode.TextDocument): void {
    if (doc.isClosed || !this.documents.isEligible(doc)) {
      this.diagnostics.delete(doc.uri);
      return;
    }
    const k = doc.uri.toString();
    const st = this.states.get(k) ?? { version: -1, key: '' };
    this.states.set(k, st);
    if (st.version === doc.version && st.key) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(() => void this.check(doc, st), 400);
  }

  private async check(doc: vscode.TextDocument, st: State): Promise<void> {
    st.timer = undefined;
    if (doc.isClosed) return;
    const version = doc.version;
    const settings = genSettings(doc.uri);
    const cond = documentCondition(doc);
    const diags: vscode.Diagnostic[] = [];
    if (cond.error) {
      const line = Math.max(0, Math.min(doc.lineCount - 1, cond.error.line - 1));
      const d = new vscode.Diagnostic(
        doc.lineAt(line).range,
        `${cond.error.message}. The document is checked without tags.`,
        vscode.DiagnosticSeverity.Warning,
      );
      d.source = SOURCE;
      d.code = FRONT_MATTER_CODE;
      diags.push(d);
    }
    const key = `${version}|${cond.tags.join(',')}|${cond.synopsis ?? ''}|${settings.offTag}`;
    if (st.key === key) return;
    st.key = key;
    st.version = version;
    st.abort?.abort();
    if (!settings.offTag || cond.tags.length === 0 || this.engine.state.kind !== 'ready') {
      // Not scored yet while the model loads: the next update tries again.
      if (this.engine.state.kind !== 'ready') st.key = '';
      this.diagnostics.set(doc.uri, diags);
      return;
    }
    // Score the prose: front matter blanked (offsets kept); sentences in code are never flagged.
    let text = doc.getText();
    try {
      const fm = parseFrontMatter(text);
      if (fm) text = text.slice(0, fm.end).replace(/[^\n]/g, ' ') + text.slice(fm.end);
    } catch {
      /* reported above */
    }
    const markdown = doc.languageId === 'markdown';
    const skips = skipRegions(text, { markdown }).filter((r) => r.kind !== 'directive' && r.kind !== 'inline-code' && r.kind !== 'url');
    const ac = new AbortController();
    st.abort = ac;
    try {
      const res = await this.engine.engine.request('tagScore', { text, tags: cond.tags, synopsis: cond.synopsis }, { signal: ac.signal });
      if (doc.isClosed || doc.version !== version) return;
      if (res.unknownTags.length)
        this.log.info(`${doc.uri.fsPath}: tags the model never saw in training: ${res.unknownTags.join(', ')}`);
      for (const s of res.sentences) {
        if (!s.offTag) continue;
        if (skips.some((r) => r.start < s.end && r.end > s.start)) continue;
        const d = new vscode.Diagnostic(
          new vscode.Range(doc.positionAt(s.start), doc.positionAt(s.end)),
          `Off-tag: this sentence fits the declared tags [${cond.tags.join(', ')}] least (PMI ${s.pmiPerToken.toFixed(2)} nats/token: the tags make it less likely).`,
          vscode.DiagnosticSeverity.Hint,
        );
        d.source = SOURCE;
        d.code = OFF_TAG_CODE;
        diags.push(d);
      }
      this.diagnostics.set(doc.uri, diags);
    } catch (e) {
      if (e instanceof CancelledError) {
        if (st.key === key) st.key = '';
        return;
      }
      this.log.warn(`tag check failed: ${e instanceof Error ? e.message : String(e)}`);
      this.diagnostics.set(doc.uri, diags);
    } finally {
      if (st.abort === ac) st.abort = undefined;
    }
  }

  /** Hover: the inferred tags of the paragraph under the cursor. */
  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.documents.isEligible(doc) || this.engine.state.kind !== 'ready') return undefined;
    const para = paragraphAt(doc, pos.line);
    if (!para) return undefined;
    const text = doc.getText(para).trim();
    if (text.split(/\s+/).length < 8 || /^(```|~~~|---)/.test(text)) return undefined;
    let res = this.paragraphCache.get(text);
    if (!res) {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        res = await this.engine.engine.request('inferTags', { text, maxTokens: 200 }, { signal: ac.signal });
      } catch {
        return undefined;
      } finally {
        sub.dispose();
      }
      if (this.paragraphCache.size > 200) this.paragraphCache.clear();
      this.paragraphCache.set(text, res);
    }
    const top = res.ranking.slice(0, 3);
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.appendMarkdown(
      `**Plausibility** · inferred tags for this paragraph: ` +
        top.map((t) => `${t.tag.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`)} ${(t.posterior * 100).toFixed(0)}%`).join(' · '),
    );
    return new vscode.Hover(md);
  }

  dispose(): void {
    for (const st of this.states.values()) {
      st.abort?.abort();
      if (st.timer) clearTimeout(st.timer);
    }
    for (const d of this.disposables) d.dispose();
  }
}

/** The blank-line-delimited paragraph around a line. */
function paragraphAt(doc: vscode.TextDocument, line: number): vscode.Range | undefined {
  if (doc.lineAt(line).isEmptyOrWhitespace) return undefined;
  let a = line;
  let b = line;
  while (a > 0 && !doc.lineAt(a - 1).isEmptyOrWhitespace) a--;
  while (b < doc.lineCount - 1 && !doc.lineAt(b + 1).isEmptyOrWhitespace) b++;
  return new vscode.Range(a, 0, b, doc.lineAt(b).text.length);
}
