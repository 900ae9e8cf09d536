/**
 * Model management: the "Plausibility: Select Model" command.
 *
 * The user picks the bundled model, a model downloaded earlier, a local folder, or a new download from the Hugging
 * Face hub (repository id, optional @revision, dtype variant). Downloads go to the extension's global storage with a
 * cancellable progress notification; src/core/model/download resumes interrupted transfers, verifies size and sha256
 * against the hub's metadata and moves a complete download into place atomically.
 *
 * Before a model is switched in, the server loads it apart from the one in use and scores a probe sentence end to
 * end, so a broken model never replaces the working one: on failure the previous model stays active and the reason
 * is shown once.
 *
 * Network: the only request this extension ever makes is the download the user starts here.
 * Workspace trust: the setting is written to user settings; {@link userLevelSetting} is how path-like settings are
 * read in an untrusted workspace (workspace values are ignored there).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkRepoId, downloadModel, DownloadError, DTYPE_SUFFIX, HUB_ENDPOINT, MANIFEST, modelFolderName } from '../core/model/download';
import { COMMANDS } from '../server/protocol';
import { modelSetting, SECTION, userLevelSetting } from './config';
import { withCancellableProgress } from './progress';
import type { ServerCommand } from './serverCommand';

export const COMMAND_SELECT_MODEL = 'plausibility.selectModel';

interface DownloadedModel {
  dir: string;
  repo: string;
  dtype: string;
  revision: string;
  commit?: string;
  bytes: number;
}

const DTYPES: { dtype: string; detail: string }[] = [
  { dtype: 'fp32', detail: 'full precision (largest, exact)' },
  { dtype: 'q8', detail: '8-bit quantized (about 4× smaller)' },
  { dtype: 'fp16', detail: 'half precision' },
  { dtype: 'int8', detail: '8-bit integer weights' },
  { dtype: 'uint8', detail: '8-bit unsigned integer weights' },
  { dtype: 'q4', detail: '4-bit block quantized' },
  { dtype: 'q4f16', detail: '4-bit weights, fp16 activations' },
  { dtype: 'bnb4', detail: '4-bit (bitsandbytes style)' },
].filter((d) => d.dtype in DTYPE_SUFFIX);

function formatMb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MB`;
}

export class ModelManager {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: ServerCommand,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private bundledDir(): string {
    return this.context.asAbsolutePath(path.join('models', 'default'));
  }

  /** Where downloads live: {globalStorage}/models/{owner}--{name}--{dtype}. */
  get storageDir(): string {
    return path.join(this.context.globalStorageUri.fsPath, 'models');
  }

  register(): vscode.Disposable[] {
    return [vscode.commands.registerCommand(COMMAND_SELECT_MODEL, () => this.select())];
  }

  /** Downloaded models with a complete manifest. */
  downloaded(): DownloadedModel[] {
    const out: DownloadedModel[] = [];
    if (!existsSync(this.storageDir)) return out;
    for (const name of readdirSync(this.storageDir)) {
      const dir = path.join(this.storageDir, name);
      try {
        const m = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as {
          repo: string;
          dtype: string;
          revision: string;
          commit?: string;
          completedAt?: string;
          files: { size: number }[];
        };
        if (!m.completedAt) continue;
        out.push({ dir, repo: m.repo, dtype: m.dtype, revision: m.revision, commit: m.commit, bytes: m.files.reduce((a, f) => a + f.size, 0) });
      } catch {
        /* a staging folder or something else */
      }
    }
    return out;
  }

  async select(): Promise<void> {
    type Item = vscode.QuickPickItem & { action: 'bundled' | 'folder' | 'download' | 'use'; dir?: string };
    const current = userLevelSetting<string>('model', 'bundled');
    const resolved = modelSetting();
    const currentDir = resolved === 'bundled' ? this.bundledDir() : resolved;
    const items: Item[] = [
      {
        label: '$(package) Bundled model',
        description: current === 'bundled' ? 'current' : undefined,
        detail: 'Shipped with the extension; works offline.',
        action: 'bundled',
      },
    ];
    const downloads = this.downloaded();
    if (downloads.length > 0) items.push({ label: 'Downloaded', kind: vscode.QuickPickItemKind.Separator, action: 'use' });
    for (const d of downloads) {
      items.push({
        label: `$(cloud) ${d.repo}`,
        description: `${d.dtype} · ${formatMb(d.bytes)}${path.resolve(d.dir) === path.resolve(currentDir) ? ' · current' : ''}`,
        detail: `revision ${d.revision}${d.commit ? ` (${d.commit.slice(0, 10)})` : ''} · ${d.dir}`,
        action: 'use',
        dir: d.dir,
      });
    }
    items.push(
      { label: 'More', kind: vscode.QuickPickItemKind.Separator, action: 'use' },
      {
        label: '$(folder-opened) Choose a model folder…',
        detail: 'A Hugging Face / transformers.js ONNX export (config.json, tokenizer.json, onnx/model.onnx)',
        description: current !== 'bundled' && !downloads.some((d) => path.resolve(d.dir) === path.resolve(currentDir)) ? `current: ${current}` : undefined,
        action: 'folder',
      },
      {
        label: '$(cloud-download) Download from Hugging Face…',
        detail: 'By repository id and precision, e.g. onnx-community/SmolLM2-135M, q8. This is the only network access the extension makes.',
        action: 'download',
      },
    );
    const pick = await vscode.window.showQuickPick(items, { title: 'Plausibility: Select Model', matchOnDetail: true });
    if (!pick) return;
    switch (pick.action) {
      case 'bundled':
        await this.switchTo('bundled', this.bundledDir());
        return;
      case 'use':
        if (pick.dir) await this.switchTo(pick.dir, pick.dir);
        return;
      case 'folder': {
        const uris = await vscode.window.showOpenDialog({
          canSelectFolders: true,
          canSelectFiles: false,
          canSelectMany: false,
          openLabel: 'Use this model',
          title: 'Choose a model folder',
        });
        if (uris?.[0]) await this.switchTo(uris[0].fsPath, uris[0].fsPath);
        return;
      }
      case 'download':
        await this.downloadFlow();
        return;
    }
  }

  private async downloadFlow(): Promise<void> {
    const spec = await vscode.window.showInputBox({
      title: 'Download a model from Hugging Face (1/2)',
      prompt: 'Repository id, optionally with @revision (branch, tag or commit)',
      placeHolder: 'onnx-community/SmolLM2-135M',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const [repo] = v.trim().split('@');
        if (!v.trim()) return undefined;
        try {
          checkRepoId(repo);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (!spec?.trim()) return;
    const [repoRaw, revRaw] = spec.trim().split('@');
    const repo = checkRepoId(repoRaw);
    const revision = revRaw?.trim() || 'main';
    const dt = await vscode.window.showQuickPick(
      DTYPES.map((d) => ({ label: d.dtype, description: `onnx/model${DTYPE_SUFFIX[d.dtype]}.onnx`, detail: d.detail })),
      { title: 'Download a model from Hugging Face (2/2): precision', ignoreFocusOut: true },
    );
    if (!dt) return;
    const dtype = dt.label;
    const dest = path.join(this.storageDir, modelFolderName(repo, dtype));
    const endpoint = process.env.HF_ENDPOINT?.trim() || HUB_ENDPOINT;
    this.log.info(`downloading ${repo}@${revision} (${dtype}) from ${endpoint} into ${dest}`);
    let result: Awaited<ReturnType<typeof downloadModel>> | undefined;
    try {
      const abort = new AbortController();
      result = await withCancellableProgress(`Downloading ${repo} (${dtype})`, (_token, progress) => {
        let reported = 0;
        let lastMessage = 0;
        return downloadModel({
          repo,
          revision,
          dtype,
          dest,
          endpoint,
          signal: abort.signal,
          onProgress: (p) => {
            const pct = p.total > 0 ? (100 * p.bytes) / p.total : 0;
            const now = Date.now();
            if (pct - reported < 0.5 && now - lastMessage < 500) return;
            lastMessage = now;
            progress.report({
              increment: Math.max(0, pct - reported),
              message: `${p.file} · ${formatMb(p.bytes)} of ${formatMb(p.total)}${p.resumedBytes > 0 ? ' (resumed)' : ''}`,
            });
            reported = Math.max(reported, pct);
          },
        });
      }, abort);
    } catch (e) {
      if (e instanceof DownloadError && e.code === 'DOWNLOAD_CANCELLED') {
        this.log.info(`download of ${repo} cancelled; the partial files are kept to resume later`);
        void vscode.window.showInformationMessage(
          `Download of ${repo} cancelled. Choose it again to resume; the current model stays active.`,
        );
        return;
      }
      const msg = e instanceof Error ? e.message : String(e);
      this.log.error(`download of ${repo} failed: ${msg}`);
      void vscode.window.showErrorMessage(`Plausibility could not download ${repo}: ${msg} The current model stays active.`);
      return;
    }
    this.log.info(
      result.upToDate
        ? `${repo} (${dtype}) is already downloaded and up to date`
        : `downloaded ${formatMb(result.downloadedBytes)} for ${repo} (${dtype}) at commit ${result.commit ?? '?'}`,
    );
    await this.switchTo(result.dir, result.dir);
  }

  /**
   * Validates `dir` and, only if it works, makes `value` the model setting. On failure the previous model stays and
   * the reason is shown. Returns whether the switch happened.
   */
  async switchTo(value: string, dir: string): Promise<boolean> {
    const problem = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Plausibility: checking the model…', cancellable: false },
      () => this.validate(dir),
    );
    if (problem) {
      this.log.error(`model ${dir} rejected: ${problem}`);
      void vscode.window.showErrorMessage(`Plausibility cannot use the model in ${dir}: ${problem} The current model stays active.`);
      return false;
    }
    const c = vscode.workspace.getConfiguration(SECTION);
    await c.update('model', value, vscode.ConfigurationTarget.Global);
    const i = c.inspect<string>('model');
    const override = vscode.workspace.isTrusted ? (i?.workspaceFolderValue ?? i?.workspaceValue) : undefined;
    if (override !== undefined && override !== value) {
      const remove = 'Remove Workspace Setting';
      const pick = await vscode.window.showWarningMessage(
        `This workspace's settings set plausibility.model to "${override}", which overrides your choice.`,
        remove,
      );
      if (pick === remove) {
        await c.update('model', undefined, vscode.ConfigurationTarget.Workspace);
        await c.update('model', undefined, vscode.ConfigurationTarget.WorkspaceFolder).then(undefined, () => undefined);
      }
    }
    this.log.info(`model set to ${value}`);
    return true;
  }

  /**
   * Checks a model folder: the server loads it in a short-lived process apart from the model in use and scores a
   * probe sentence. Resolves to a problem description, or undefined when the model works.
   */
  async validate(dir: string, timeoutMs = 120_000): Promise<string | undefined> {
    const source = new vscode.CancellationTokenSource();
    const timer = setTimeout(() => source.cancel(), timeoutMs);
    try {
      const r = await this.server<{ problem?: string }>(COMMANDS.validateModel, [{ dir }], source.token);
      return r.problem;
    } catch (e) {
      if (source.token.isCancellationRequested) return `loading and scoring a sentence took longer than ${timeoutMs / 1000} s`;
      return e instanceof Error ? e.message : String(e);
    } finally {
      clearTimeout(timer);
      source.dispose();
    }
  }
}
