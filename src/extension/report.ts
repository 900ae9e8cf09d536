/**
 * Token report: a webview with the document's surprisal histogram, its GLTR rank buckets and a per-sentence
 * perplexity chart. Assets live in media/; the page has a strict Content-Security-Policy (no inline script or style
 * except the nonce'd script, no remote content) and builds every element with DOM APIs, so document text is never
 * rendered as HTML.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { splitSentences } from '../core/text/sentences';
import type { DocumentResult } from '../worker/document';
import type { DocumentController } from './documents';

export interface ReportData {
  title: string;
  tokens: number;
  perplexity: number;
  findings: number;
  /** Surprisal histogram in 1-bit bins; the last bin collects everything above. */
  histogram: { from: number; to: number | null; count: number }[];
  ranks: { label: string; count: number }[];
  sentences: { label: string; perplexity: number; tokens: number; line: number }[];
}

const MAX_BITS = 24;

/** The report of a document; `findings` is what the Problems panel shows (after the user's suppressions). */
export function buildReport(doc: vscode.TextDocument, result: DocumentResult, findings = result.findings.length): ReportData {
  const histogram = Array.from({ length: MAX_BITS + 1 }, (_, i) => ({ from: i, to: i < MAX_BITS ? i + 1 : null, count: 0 }));
  const ranks = [
    { label: 'top 10', count: 0 },
    { label: 'top 100', count: 0 },
    { label: 'top 1000', count: 0 },
    { label: 'beyond', count: 0 },
  ];
  const sents: ReportData['sentences'] = [];
  for (const { block, score } of result.blocks) {
    for (let i = 0; i < score.bits.length; i++) {
      histogram[Math.min(MAX_BITS, Math.max(0, Math.floor(score.bits[i])))].count++;
      const r = score.ranks[i];
      ranks[r <= 10 ? 0 : r <= 100 ? 1 : r <= 1000 ? 2 : 3].count++;
    }
    for (const s of splitSentences(block.text)) {
      let nll = 0;
      let n = 0;
      for (let i = 0; i < score.starts.length; i++) {
        if (score.starts[i] >= s.start && score.starts[i] < s.end) {
          nll += score.bits[i] * Math.LN2;
          n++;
        }
      }
      if (n === 0) continue;
      const raw = block.text.slice(s.start, s.end).replace(/\s+/g, ' ');
      sents.push({
        label: raw.length > 80 ? `${raw.slice(0, 77)}…` : raw,
        perplexity: Math.exp(nll / n),
        tokens: n,
        line: doc.positionAt(block.start + s.start).line,
      });
    }
  }
  return {
    title: vscode.workspace.asRelativePath(doc.uri),
    tokens: result.tokens,
    perplexity: result.perplexity,
    findings,
    histogram,
    ranks,
    sentences: sents,
  };
}

export class TokenReport implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private doc: vscode.TextDocument | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly documents: DocumentController,
  ) {
    this.disposables.push(
      documents.onDidUpdate((d) => {
        if (this.panel && d === this.doc) this.post();
      }),
    );
  }

  show(doc: vscode.TextDocument): void {
    this.doc = doc;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(
        'plausibility.report',
        'Token Report',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false },
      );
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
      });
      this.panel.webview.onDidReceiveMessage((m: { type: string; line?: number }) => {
        if (m.type === 'ready') {
          this.ready = true;
          this.post();
        } else if (m.type === 'reveal' && typeof m.line === 'number' && this.doc && !this.doc.isClosed) {
          const pos = new vscode.Position(m.line, 0);
          void vscode.window.showTextDocument(this.doc, { selection: new vscode.Range(pos, pos), viewColumn: vscode.ViewColumn.One });
        }
      });
      this.panel.webview.html = this.html(this.panel.webview, media);
    } else this.panel.reveal(undefined, true);
    this.panel.title = `Token Report: ${vscode.workspace.asRelativePath(doc.uri)}`;
    this.post();
  }

  private post(): void {
    if (!this.panel || !this.ready || !this.doc) return;
    const result = this.documents.resultFor(this.doc);
    void this.panel.webview.postMessage(
      result ? { type: 'data', data: buildReport(this.doc, result, this.documents.findingsFor(this.doc).length) } : { type: 'empty', title: vscode.workspace.asRelativePath(this.doc.uri) },
    );
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      "connect-src 'none'",
      "font-src 'none'",
      "frame-src 'none'",
      "form-action 'none'",
      "base-uri 'none'",
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Token Report</title>
</head>
<body>
<main id="root" aria-live="polite"><p class="muted">Waiting for scores…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
