/**
 * Findings the user switched off: single spans ("ignore this span", kept per document in workspace state) and
 * phrases on the workspace allow-list, a plain-text file `.vscode/plausibility-allow.txt` (one phrase per line,
 * `#` starts a comment, matching ignores case and runs of whitespace).
 */
import * as vscode from 'vscode';
import type { Finding } from '../worker/document';
import { normalizePhrase, parseAllowList, spanKey, suppressFindings } from '../core/lint/describe';
import { appendToAllowList } from '../core/text/allowListFile';

export const ALLOW_LIST_PATH = '.vscode/plausibility-allow.txt';
const IGNORED_KEY = 'plausibility.ignoredSpans';
const MAX_IGNORED_PER_DOC = 500;

export { normalizePhrase, spanKey } from '../core/lint/describe';

export class Suppressions implements vscode.Disposable {
  /** Allow-list phrases per workspace folder (normalised). */
  private readonly allow = new Map<string, Set<string>>();
  private readonly watcher: vscode.FileSystemWatcher;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly state: vscode.Memento) {
    this.watcher = vscode.workspace.createFileSystemWatcher(`**/${ALLOW_LIST_PATH}`);
    const reload = () => void this.loadAll().then(() => this.changed.fire());
    this.disposables.push(
      this.watcher,
      this.watcher.onDidCreate(reload),
      this.watcher.onDidChange(reload),
      this.watcher.onDidDelete(reload),
      vscode.workspace.onDidChangeWorkspaceFolders(reload),
      this.changed,
    );
  }

  async loadAll(): Promise<void> {
    this.allow.clear();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uri = vscode.Uri.joinPath(folder.uri, ALLOW_LIST_PATH);
      try {
        const bytes = await vscode.workspace.fs.readFile(uri);
        this.allow.set(folder.uri.toString(), parseAllowList(Buffer.from(bytes).toString('utf8')));
      } catch {
        /* no allow-list in this folder */
      }
    }
  }

  /** Keeps the findings that are neither allowed nor ignored. */
  filter(doc: vscode.TextDocument, text: string, findings: Finding[]): Finding[] {
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    const allow = folder ? this.allow.get(folder.uri.toString()) : undefined;
    const ignored = new Set(this.state.get<string[]>(`${IGNORED_KEY}:${doc.uri.toString()}`, []));
    return suppressFindings(text, findings, allow, ignored);
  }

  async ignoreSpan(doc: vscode.TextDocument, start: number, end: number): Promise<void> {
    const key = `${IGNORED_KEY}:${doc.uri.toString()}`;
    const list = this.state.get<string[]>(key, []).filter((k) => k !== spanKey(doc.getText(), { start, end }));
    list.push(spanKey(doc.getText(), { start, end }));
    await this.state.update(key, list.slice(-MAX_IGNORED_PER_DOC));
    this.changed.fire();
  }

  async clearIgnored(doc: vscode.TextDocument): Promise<void> {
    await this.state.update(`${IGNORED_KEY}:${doc.uri.toString()}`, undefined);
    this.changed.fire();
  }

  /**
   * Appends a phrase to the allow-list of the document's workspace folder. Never in an untrusted workspace; links and
   * non-regular files at the allow-list path are refused (see appendToAllowList).
   */
  async allowPhrase(doc: vscode.TextDocument, phrase: string): Promise<boolean> {
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') {
      void vscode.window.showWarningMessage('Plausibility: open a local folder to keep a workspace allow-list.');
      return false;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Plausibility: the allow-list is not changed in an untrusted workspace.');
      return false;
    }
    let line: string;
    try {
      line = appendToAllowList(folder.uri.fsPath, phrase, { trusted: vscode.workspace.isTrusted });
    } catch (e) {
      void vscode.window.showErrorMessage(`Plausibility: allow-list not changed: ${(e as Error).message}`);
      return false;
    }
    const set = this.allow.get(folder.uri.toString()) ?? new Set<string>();
    set.add(normalizePhrase(line));
    this.allow.set(folder.uri.toString(), set);
    this.changed.fire();
    return true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
