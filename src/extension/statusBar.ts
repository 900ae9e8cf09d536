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
      const parts: string[] = ['Plausibility'];
      const skipped = doc ? this.documents.skippedFor(doc) : undefined;
      const result = doc ? this.documents.resultFor(doc) : undefined;
      const findings = doc ? this.documents.findingsFor(doc).length : 0;
      if (doc && eligible && skipped) {
        parts.push('not checked');
        tooltip.appendText(
          skipped.kind === 'too-long'
            ? `This document has ${skipped.length.toLocaleString()} characters, more than plausibility.maxFileLength (${skipped.max.toLocaleString()}), so it is not checked.`
            : skipped.kind === 'binary'
              ? 'This document looks like a binary file, so it is not checked.'
              : 'This document has a very long line (minified data, not prose), so it is not checked.',
        );
      } else if (result) {
        parts.push(findings === 1 ? '1 finding' : `${findings} findings`);
        tooltip.appendText(
          `${findings === 0 ? 'No findings' : findings === 1 ? 'One finding' : `${findings} findings`} in this document: ` +
            'places where a small edit makes the sentence clearly more likely to the model (see the Problems panel).',
        );
        if (Number.isFinite(result.perplexity))
          tooltip.appendText(
            `\n\nPerplexity ${result.perplexity.toFixed(1)}: on average the model hesitated between about ${Math.round(result.perplexity)} ` +
              `choices per token of this document (${result.tokens.toLocaleString()} tokens). Lower reads more predictably; ` +
              'ordinary prose is usually between 20 and 200 for the bundled model.',
          );
      }
      if (model)
        tooltip.appendText(
          `\n\nModel: ${model.name} (${model.dir}), running on ${model.provider === 'cpu' ? 'the CPU' : model.provider}.`,
        );
      const icon = this.busy ? '$(sync~spin)' : !this.documents.settings.enabled ? '$(circle-slash)' : '$(pass)';
      text = `${icon} ${parts.join(': ')}`;
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
