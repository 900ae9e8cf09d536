/**
 * Findings the user switched off: spans ignored in a document (server memory, per document) and phrases on a
 * workspace folder's allow-list, `.vscode/plausibility-allow.txt` (one phrase per line, `#` starts a comment;
 * matching ignores case and runs of whitespace). The file is the one the VS Code extension reads and writes.
 */
import { lstatSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../core/lint/finding';
import { suppressFindings } from '../core/lint/describe';
import { ALLOW_LIST_DIR, ALLOW_LIST_FILE, appendToAllowList, readAllowList } from '../core/text/allowListFile';

export { normalizePhrase, spanKey } from '../core/lint/describe';

export function fsPath(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

interface Loaded {
  mtimeMs: number;
  phrases: Set<string>;
}

export class AllowList {
  private folders: string[] = [];
  private readonly loaded = new Map<string, Loaded>();

  /** Workspace folders as file-system paths (from initialize and workspace folder changes). */
  setFolders(folders: string[]): void {
    this.folders = folders.slice().sort((a, b) => b.length - a.length);
    this.loaded.clear();
  }

  /** The innermost workspace folder holding the document, if any. */
  folderFor(uri: string): string | undefined {
    const p = fsPath(uri);
    if (!p) return undefined;
    return this.folders.find((f) => p === f || p.startsWith(f.endsWith(sep) ? f : f + sep));
  }

  /** The folder's phrases, read again when the file changed (only regular files under 1 MiB are read). */
  phrases(folder: string): Set<string> {
    let mtimeMs = -1;
    try {
      mtimeMs = lstatSync(join(folder, ALLOW_LIST_DIR, ALLOW_LIST_FILE)).mtimeMs;
    } catch {
      /* no allow-list */
    }
    const cached = this.loaded.get(folder);
    if (cached && cached.mtimeMs === mtimeMs) return cached.phrases;
    const phrases = readAllowList(folder)?.phrases ?? new Set<string>();
    this.loaded.set(folder, { mtimeMs, phrases });
    return phrases;
  }

  /** Appends a phrase to the allow-list of the document's folder; throws when there is none or the file is refused. */
  add(uri: string, phrase: string): string {
    const folder = this.folderFor(uri);
    if (!folder) throw new Error('the document is not in a workspace folder, so there is no allow-list for it');
    const line = appendToAllowList(folder, phrase, { trusted: true });
    this.loaded.delete(folder);
    return line;
  }

  /** Keeps the findings that are neither on the allow-list nor ignored. */
  filter(uri: string, text: string, findings: Finding[], ignored: ReadonlySet<string>): Finding[] {
    const folder = this.folderFor(uri);
    const allow = folder ? this.phrases(folder) : undefined;
    return suppressFindings(text, findings, allow, ignored);
  }
}
