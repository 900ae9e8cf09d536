/**
 * Status bar item: the model name, the execution provider in use, the active document's perplexity, a spinner while
 * loading or scoring, and a notice when a document is skipped. Clicking it opens the quick menu.
 */
import * as vscode from 'vscode';
import type { DocumentController } from './documents';
import type { EngineService } from './engine';

export const COMMAND_MENU = 'plausibility.showMenu';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('plausibility.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];
  private busy = false;

  constructor(
    private readonly engine: EngineService,
    private readonly documents: DocumentController,
  ) {
    this.item.name = 'Plausibility';
    this.item.command = COMMAND_MENU;
    this.disposables.push(
      this.item,
      engine.onDidChangeState(() => this.update()),
      documents.onDidUpdate(() => this.update()),
      documents.onDidChangeBusy((b) => {
        this.busy = b;
        this.update();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
    );
    this.update();
  }

  update(): void {
    const editor = vscode.window.activeTextEditor;
    const doc = editor?.document;
    const eligible = doc ? this.documents.isEligible(doc) : false;
    const state = this.engine.state;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Plausibility**\n\n');
    let text: string;
    if (state.kind === 'loading') {
      text = '$(sync~spin) Plausibility: loading model';
      tooltip.appendMarkdown('Loading the model…');
    } else if (state.kind === 'restarting') {
      text = '$(sync~spin) Plausibility: restarting';
      tooltip.appendMarkdown('The engine stopped and is restarting.');
    } else if (state.kind === 'error') {
      text = '$(error) Plausibility';
      tooltip.appendText(`The model could not be loaded: ${state.message}`);
    } else {
      const model = state.kind === 'ready' ? state.model : undefined;
      const parts: string[] = [model ? `${model.name} · ${model.provider}` : 'Plausibility'];
      const skipped = doc ? this.documents.skippedFor(doc) : undefined;
      const result = doc ? this.documents.resultFor(doc) : undefined;
      if (doc && eligible && skipped) {
        parts.push(
          skipped.kind === 'too-long'
            ? `skipped: ${skipped.length.toLocaleString()} > ${skipped.max.toLocaleString()} chars`
            : skipped.kind === 'binary'
              ? 'skipped: binary file'
              : 'skipped: very long line',
        );
        tooltip.appendText(
          skipped.kind === 'too-long'
            ? `This document is longer than plausibility.maxFileLength (${skipped.max}); it is not checked.`
            : 'This document looks binary or has a very long line; it is not checked.',
        );
      } else if (result && Number.isFinite(result.perplexity)) {
        parts.push(`PPL ${result.perplexity.toFixed(1)}`);
        tooltip.appendText(
          `Document perplexity ${result.perplexity.toFixed(2)} over ${result.tokens} tokens; ${result.findings.length} findings.`,
        );
      }
      if (model) tooltip.appendText(`\nModel: ${model.dir}\nExecution provider: ${model.provider}`);
      const icon = this.busy ? '$(sync~spin)' : !this.documents.settings.enabled ? '$(circle-slash)' : '$(pulse)';
      text = `${icon} ${parts.join(' · ')}`;
    }
    tooltip.appendMarkdown('\n\nClick for the Plausibility menu.');
    this.item.text = text;
    this.item.tooltip = tooltip;
    if (eligible || state.kind === 'loading' || state.kind === 'error') this.item.show();
    else this.item.hide();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
