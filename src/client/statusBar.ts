/**
 * Status bar item: the product name and the active document's findings, a spinner while the model loads or the
 * engine restarts, and a notice when a document is skipped. The tooltip explains the numbers in words (what
 * perplexity means, which model runs where). Clicking it opens the quick menu.
 */
import * as vscode from 'vscode';
import { SOURCE, type ModelParams, type StatusParams } from '../server/protocol';
import { isChecked } from './config';

export const COMMAND_MENU = 'plausibility.showMenu';

export type EngineState = 'starting' | 'running' | 'restarting' | 'stopped';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('plausibility.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private readonly documents = new Map<string, StatusParams>();
  private model: ModelParams | undefined;
  private engine: EngineState = 'starting';

  constructor() {
    this.item.name = 'Plausibility';
    this.item.command = COMMAND_MENU;
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      vscode.languages.onDidChangeDiagnostics(() => this.update()),
      vscode.workspace.onDidCloseTextDocument((d) => this.documents.delete(d.uri.toString())),
    );
    this.update();
  }

  setModel(p: ModelParams): void {
    this.model = p;
    this.update();
  }

  setDocument(p: StatusParams): void {
    this.documents.set(p.uri, p);
    this.update();
  }

  setEngine(s: EngineState): void {
    this.engine = s;
    this.update();
  }

  /** The status the server last sent for a document. */
  documentStatus(doc: vscode.TextDocument): StatusParams | undefined {
    return this.documents.get(doc.uri.toString());
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const checked = doc ? isChecked(doc) : false;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Plausibility**\n\n');
    let text: string;
    const loading = this.model?.state === 'loading';
    if (this.engine === 'restarting' || this.engine === 'starting' || loading) {
      text = `$(sync~spin) Plausibility: ${this.engine === 'restarting' ? 'restarting' : 'loading the model'}`;
      tooltip.appendText(this.engine === 'restarting' ? 'The engine stopped and is restarting.' : 'Loading the language model…');
    } else if (this.engine === 'stopped') {
      text = '$(error) Plausibility: stopped';
      tooltip.appendText('The engine stopped. Choose "Restart Engine" from the menu.');
    } else if (this.model?.state === 'error') {
      text = '$(error) Plausibility';
      tooltip.appendText(`The model could not be loaded: ${this.model.message ?? 'unknown error'}`);
    } else {
      const parts = ['Plausibility'];
      const status = doc ? this.documents.get(doc.uri.toString()) : undefined;
      if (doc && checked && status?.state === 'skipped') {
        parts.push('not checked');
        tooltip.appendText(status.reason ?? 'This document is not checked.');
      } else if (doc && checked && status?.state === 'ok') {
        const n = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === SOURCE).length;
        parts.push(n === 1 ? '1 finding' : `${n} findings`);
        tooltip.appendText(
          `${n === 0 ? 'No findings' : n === 1 ? 'One finding' : `${n} findings`} in this document: ` +
            'places where a small edit makes the sentence clearly more likely to the model (see the Problems panel).',
        );
        if (status.perplexity !== undefined && Number.isFinite(status.perplexity))
          tooltip.appendText(
            `\n\nPerplexity ${status.perplexity.toFixed(1)}: on average the model hesitated between about ${Math.round(status.perplexity)} ` +
              `choices per token of this document${status.tokens ? ` (${status.tokens.toLocaleString()} tokens)` : ''}. Lower reads more predictably.`,
          );
      }
      if (this.model?.state === 'ready')
        tooltip.appendText(`\n\nModel: ${this.model.name ?? this.model.dir}, running on ${this.model.provider === 'cpu' ? 'the CPU' : this.model.provider}.`);
      text = `$(pass) ${parts.join(': ')}`;
    }
    tooltip.appendMarkdown('\n\nClick for the Plausibility menu.');
    this.item.text = text;
    this.item.tooltip = tooltip;
    if (checked || loading || this.model?.state === 'error' || this.engine !== 'running') this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
