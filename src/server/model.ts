/**
 * The engine in the server's process: loaded for the settings' model folder, provider and precision, and loaded
 * again only when those change. A missing or damaged model is an error message to the user, never a crash: the
 * server keeps running without an engine until the settings name a model that loads.
 *
 * Loads may overlap (settings changed twice quickly): each has a generation, and only the newest one's engine is
 * kept; an engine that lost the race is disposed at once. The engine being replaced is disposed through `retire`,
 * which waits until no pass or command is using it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Engine } from '../core/engine';
import { onnxPath } from '../core/model/config';
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
  /** Disposes an engine once nothing uses it any more. */
  retire(engine: Engine): Promise<void>;
}

export class ModelHost {
  private engine: Engine | undefined;
  private key: string | undefined;
  private loading: Promise<Engine | undefined> | undefined;
  private generation = 0;
  private readonly missingVariants = new Set<string>();
  /** The last load's error, for status messages. */
  lastError: string | undefined;

  constructor(private readonly events: ModelHostEvents) {}

  get current(): Engine | undefined {
    return this.engine;
  }

  /**
   * The engine for these settings; undefined when the model cannot be loaded (the user has been told once).
   * `retryFailed` tries a failed model again (after a settings change or a rescore), never on every edit.
   */
  async ensure(s: ServerSettings, retryFailed = false): Promise<Engine | undefined> {
    const key = engineKey(s);
    if (this.key === key && this.loading && !(retryFailed && this.lastError)) return this.loading;
    this.key = key;
    const previous = this.engine;
    this.engine = undefined;
    const generation = ++this.generation;
    this.loading = this.load(s, previous, generation);
    return this.loading;
  }

  /** The precision asked for, or fp32 when the folder has no file for it (as downloads and the bundled model). */
  private variantFor(dir: string, variant: string): string {
    if (variant === 'fp32' || existsSync(onnxPath(dir, variant))) return variant;
    const note = `${dir}\u0000${variant}`;
    if (!this.missingVariants.has(note)) {
      this.missingVariants.add(note);
      this.events.log(`${onnxPath(dir, variant)} does not exist; loading the fp32 model.onnx instead`);
    }
    return 'fp32';
  }

  private async load(s: ServerSettings, previous: Engine | undefined, generation: number): Promise<Engine | undefined> {
    if (previous) await this.events.retire(previous).catch(() => undefined);
    const stale = () => generation !== this.generation;
    if (stale()) return this.loading;
    this.events.state({ state: 'loading', dir: s.modelDir });
    try {
      const engine = await this.events.progress(`Plausibility: loading the model`, async () => {
        const variant = this.variantFor(s.modelDir, s.variant);
        checkModelFiles(s.modelDir, variant);
        return Engine.load(s.modelDir, {
          executionProviders: s.executionProviders,
          variant,
          // Half the cores: the editor, and the writer's other programs, keep the rest.
          intraOpNumThreads: Math.max(1, Math.floor(availableParallelism() / 2)),
          // Editing runs every shape of batch; an arena would keep the largest one's memory for the session's life.
          cpuMemArena: false,
          log: (m) => this.events.log(m),
        });
      });
      if (stale()) {
        await engine.dispose().catch(() => undefined);
        return this.loading;
      }
      this.engine = engine;
      this.lastError = undefined;
      this.events.log(`model ${engine.info.modelDir} loaded (${engine.info.provider})`);
      this.events.state({ state: 'ready', dir: s.modelDir, name: basename(engine.info.modelDir), provider: engine.info.provider, skippedProviders: engine.info.skippedProviders });
      return engine;
    } catch (e) {
      if (stale()) return this.loading;
      const message = (e as Error)?.message ?? String(e);
      this.lastError = `Plausibility cannot load the model at ${s.modelDir}: ${message}`;
      this.events.error(this.lastError);
      this.events.state({ state: 'error', dir: s.modelDir, message });
      return undefined;
    }
  }

  async dispose(): Promise<void> {
    const e = this.engine;
    this.engine = undefined;
    this.key = undefined;
    this.loading = undefined;
    this.generation++;
    await e?.dispose().catch(() => undefined);
  }
}
