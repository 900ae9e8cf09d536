/**
 * The engine in the server's process: loaded for the settings' model folder, provider and precision, and loaded
 * again only when those change. A missing or damaged model is an error message to the user, never a crash: the
 * server keeps running without an engine until the settings name a model that loads.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Engine } from '../core/engine';
import { checkModelFiles } from '../core/model/modelCheck';
import type { ModelParams } from './protocol';
import { engineKey, ServerSettings } from './settings';

export interface ModelHostEvents {
  log(message: string): void;
  /** Shown to the user (window/showMessage, type Error). */
  error(message: string): void;
  /** Brackets a load, for $/progress. */
  progress<T>(title: string, work: () => Promise<T>): Promise<T>;
  /** The model's state changed (the client's status bar). */
  state(params: ModelParams): void;
}

export class ModelHost {
  private engine: Engine | undefined;
  private key: string | undefined;
  private loading: Promise<Engine | undefined> | undefined;
  /** The last load's error, for status messages. */
  lastError: string | undefined;

  constructor(private readonly events: ModelHostEvents) {}

  get current(): Engine | undefined {
    return this.engine;
  }

  /**
   * The engine for these settings; undefined when the model cannot be loaded (the user has been told once).
   * `retryFailed` tries a failed model again (after a settings change), never on every edit.
   */
  async ensure(s: ServerSettings, retryFailed = false): Promise<Engine | undefined> {
    const key = engineKey(s);
    if (this.key === key && this.loading && !(retryFailed && this.lastError)) return this.loading;
    this.key = key;
    const previous = this.engine;
    this.engine = undefined;
    this.loading = this.load(s, previous);
    return this.loading;
  }

  private async load(s: ServerSettings, previous: Engine | undefined): Promise<Engine | undefined> {
    if (previous) await previous.dispose().catch(() => undefined);
    this.events.state({ state: 'loading', dir: s.modelDir });
    try {
      const engine = await this.events.progress(`Plausibility: loading the model`, async () => {
        checkModelFiles(s.modelDir, s.variant);
        return Engine.load(s.modelDir, {
          executionProviders: s.executionProviders,
          variant: s.variant,
          // Half the cores: the editor, and the writer's other programs, keep the rest.
          intraOpNumThreads: Math.max(1, Math.floor(availableParallelism() / 2)),
          log: (m) => this.events.log(m),
        });
      });
      this.engine = engine;
      this.lastError = undefined;
      this.events.log(`model ${engine.info.modelDir} loaded (${engine.info.provider})`);
      this.events.state({ state: 'ready', dir: s.modelDir, name: basename(engine.info.modelDir), provider: engine.info.provider, skippedProviders: engine.info.skippedProviders });
      return engine;
    } catch (e) {
      this.lastError = `Plausibility cannot load the model at ${s.modelDir}: ${(e as Error)?.message ?? String(e)}`;
      this.events.error(this.lastError);
      this.events.state({ state: 'error', dir: s.modelDir, message: (e as Error)?.message ?? String(e) });
      return undefined;
    }
  }

  async dispose(): Promise<void> {
    const e = this.engine;
    this.engine = undefined;
    this.key = undefined;
    this.loading = undefined;
    await e?.dispose().catch(() => undefined);
  }
}
