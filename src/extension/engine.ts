/**
 * The engine as the extension sees it: one worker (see src/worker/client.ts) and the model it has loaded.
 *
 * Loading shows a progress notification. A missing or corrupt model gives one clear error with a button to choose
 * another model, and the editor keeps working. A worker crash is reported once per session; the client restarts
 * the worker with backoff and this service asks for a rescore when the model is back.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveSettingPathHere } from './models';
import { onnxPath } from '../core/model/config';
import { EngineClient } from '../worker/client';
import { ExecutionProvider, ModelInfo, RemoteError } from '../worker/protocol';
import { Settings } from './config';

export type EngineState =
  | { kind: 'idle' }
  | { kind: 'loading'; model: string }
  | { kind: 'ready'; model: ModelInfo }
  | { kind: 'error'; message: string }
  | { kind: 'restarting' };

export class EngineService implements vscode.Disposable {
  private client: EngineClient | undefined;
  private loaded: { key: string; info: ModelInfo } | undefined;
  private loading: { key: string; promise: Promise<ModelInfo | undefined> } | undefined;
  private failedKey: string | undefined;
  private readonly missingVariants = new Set<string>();
  private crashReported = false;
  private _state: EngineState = { kind: 'idle' };
  private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
  private readonly restartEmitter = new vscode.EventEmitter<void>();
  /** Fires when the state changes (loading, ready, error). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires when the worker came back after a crash, with the model reloaded: everything needs a rescore. */
  readonly onDidRestart = this.restartEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get state(): EngineState {
    return this._state;
  }

  get model(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  /** The worker client (spawned on first use). */
  get engine(): EngineClient {
    if (!this.client) {
      this.client = new EngineClient({
        workerPath: this.context.asAbsolutePath(path.join('dist', 'worker.js')),
        log: (m) => this.log.info(m),
      });
      this.client.onCrash((info) => {
        this.log.error(`engine worker crashed: ${info.reason} (restart in ${info.restartInMs} ms)`);
        this.setState({ kind: 'restarting' });
        if (!this.crashReported) {
          this.crashReported = true;
          void vscode.window.showWarningMessage(
            `The Plausibility engine stopped unexpectedly (${info.reason}). It restarts automatically; the editor is not affected.`,
          );
        }
      });
      this.client.onRestart((info) => {
        if (info && this.loaded) {
          this.loaded = { key: this.loaded.key, info };
          this.setState({ kind: 'ready', model: info });
        }
        this.restartEmitter.fire();
      });
    }
    return this.client;
  }

  /** Absolute model folder for a `plausibility.model` value. */
  resolveModelDir(setting: string): string {
    if (!setting || setting === 'bundled') return this.context.asAbsolutePath(path.join('models', 'default'));
    // Relative paths resolve against the workspace only when it is trusted (models.ts).
    return resolveSettingPathHere(setting);
  }

  /**
   * Loads the model the settings ask for, unless it is already loaded. Resolves to undefined when it cannot be
   * loaded (the error was shown once).
   */
  async ensureLoaded(settings: Settings): Promise<ModelInfo | undefined> {
    const dir = this.resolveModelDir(settings.model);
    const ep: ExecutionProvider = settings.executionProvider;
    const variant = this.variantFor(dir, settings.precision);
    const key = `${dir}\u0000${ep}\u0000${variant}`;
    if (this.loaded?.key === key) return this.loaded.info;
    if (this.loading?.key === key) return this.loading.promise;
    if (this.failedKey === key) return undefined;
    const promise = this.load(key, dir, ep, variant, settings.model);
    this.loading = { key, promise };
    try {
      return await promise;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }

  /** Forgets a failed load so that the next request tries again (after the user changed something). */
  resetFailure(): void {
    this.failedKey = undefined;
  }

  /** The precision the settings ask for, or fp32 when the model folder has no file for it (logged once per folder). */
  private variantFor(dir: string, precision: Settings['precision']): string {
    if (precision === 'fp32' || existsSync(onnxPath(dir, precision))) return precision;
    const note = `${dir}\u0000${precision}`;
    if (!this.missingVariants.has(note)) {
      this.missingVariants.add(note);
      this.log.warn(`${onnxPath(dir, precision)} does not exist; loading the fp32 model.onnx instead`);
    }
    return 'fp32';
  }

  private async load(key: string, dir: string, ep: ExecutionProvider, variant: string, setting: string): Promise<ModelInfo | undefined> {
    this.setState({ kind: 'loading', model: setting });
    this.log.info(`loading model ${dir} (execution provider: ${ep}, precision: ${variant})`);
    try {
      const info = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Plausibility', cancellable: false },
        async (progress) => {
          progress.report({ message: `Loading model ${setting === 'bundled' ? '(bundled)' : dir}…` });
          return this.engine.load(
            { modelDir: dir, executionProvider: ep, variant },
            { onProgress: (message) => progress.report({ message }) },
          );
        },
      );
      for (const s of info.skippedProviders)
        this.log.warn(`execution provider ${s.name} unavailable: ${s.reason}; using ${info.provider}`);
      this.log.info(
        `model ${info.name} loaded in ${info.loadMs.toFixed(0)} ms on ${info.provider} (window ${info.contextLength} tokens, vocabulary ${info.vocabSize})`,
      );
      this.loaded = { key, info };
      this.failedKey = undefined;
      this.setState({ kind: 'ready', model: info });
      return info;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`model load failed: ${message}${e instanceof RemoteError && e.code ? ` (${e.code})` : ''}`);
      this.loaded = undefined;
      this.failedKey = key;
      this.setState({ kind: 'error', message });
      void this.reportLoadError(message);
      return undefined;
    }
  }

  private async reportLoadError(message: string): Promise<void> {
    const choose = 'Choose Model…';
    const bundled = 'Use Bundled Model';
    const pick = await vscode.window.showErrorMessage(`Plausibility could not load the model: ${message}`, choose, bundled);
    if (pick === choose) await vscode.commands.executeCommand('plausibility.selectModel');
    else if (pick === bundled) {
      await vscode.workspace.getConfiguration('plausibility').update('model', 'bundled', vscode.ConfigurationTarget.Global);
      this.resetFailure();
    }
  }

  /** Restarts the worker from scratch (command). */
  async restart(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    this.loaded = undefined;
    this.failedKey = undefined;
    this.setState({ kind: 'idle' });
    await old?.dispose();
    this.restartEmitter.fire();
  }

  private setState(s: EngineState): void {
    this._state = s;
    this.stateEmitter.fire(s);
  }

  dispose(): void {
    void this.client?.dispose();
    this.stateEmitter.dispose();
    this.restartEmitter.dispose();
  }
}
