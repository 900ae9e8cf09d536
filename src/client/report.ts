/**
 * Token report: a webview with the document's surprisal histogram, its GLTR rank buckets and a per-sentence
 * perplexity chart. Assets live in media/; the page has a strict Content-Security-Policy (no inline script or style
 * except the nonce'd script, no remote content) and builds every element with DOM APIs, so document text is never
 * rendered as HTML.
 */
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { ReportData } from '../core/scoring/tokenDetail';

/** Asks the server for a document's report (null before its first pass). */
export type ReportSource = (doc: vscode.TextDocument) => Promise<ReportData | null>;

export class TokenReport implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private doc: vscode.TextDocument | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: ReportSource,
  ) {
    // A new pass publishes diagnostics: the report follows it.
    this.disposables.push(
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (this.panel && this.doc && e.uris.some((u) => u.toString() === this.doc!.uri.toString())) this.post();
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
    const doc = this.doc;
    if (!this.panel || !this.ready || !doc) return;
    const title = vscode.workspace.asRelativePath(doc.uri);
    void this.source(doc).then(
      (data) => void this.panel?.webview.postMessage(data ? { type: 'data', data: { ...data, title } } : { type: 'empty', title }),
      () => void this.panel?.webview.postMessage({ type: 'empty', title }),
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
