/**
 * Host side of the engine worker: runs `dist/worker.js` in a child process, sends typed requests, cancels stale ones
 * and restarts the worker with exponential backoff when it dies.
 *
 * Inference never runs on the caller's thread, so the extension host's event loop stays free. A process rather than a
 * worker thread because (1) a native crash or a kill inside onnxruntime's run() takes down only the worker, and the
 * worker can be killed at any moment (terminating a worker thread inside run() aborts the whole process); (2) its
 * native memory is its own: onnxruntime's variable-sized buffers fragment glibc's per-thread malloc arenas, and the
 * child is started with fewer arenas (MALLOC_ARENA_MAX), which a thread cannot set for itself. No `vscode` import:
 * the benchmarks use this class too.
 */
import { ChildProcess, fork } from 'node:child_process';
import {
  CancelledError,
  LoadParams,
  Method,
  Methods,
  ModelInfo,
  RemoteError,
  WorkerCrashedError,
  WorkerEvent,
  WorkerMessage,
  WorkerRequest,
  BlockScore,
} from './protocol';

export interface EngineClientOptions {
  /** Absolute path of the bundled worker script (dist/worker.js). */
  workerPath: string;
  /** First restart delay after a crash (doubles for each further crash). Default 500 ms. */
  initialBackoffMs?: number;
  /** Upper bound of the restart delay. Default 30 s. */
  maxBackoffMs?: number;
  /** A worker that ran this long before dying resets the backoff. Default 60 s. */
  stableAfterMs?: number;
  /** Heap limit for the worker, in MB. */
  maxOldGenerationSizeMb?: number;
  /** How long a stopping worker may take to finish its current onnxruntime call before it is killed. Default 20 s. */
  stopGraceMs?: number;
  log?: (message: string) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Called for each finished item of a `score` request, in order. */
  onPartial?: (block: BlockScore) => void;
  onProgress?: (message: string) => void;
}

export interface CrashInfo {
  /** What killed the worker (uncaught error message, or the exit code). */
  reason: string;
  /** How many crashes in a row, without a stable period in between. */
  consecutive: number;
  /** Delay before the restart. */
  restartInMs: number;
}

interface Pending {
  method: Method;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  options: RequestOptions;
  /** The message, kept so that a request queued while the worker is down can be sent after the restart. */
  message: WorkerRequest;
  sent: boolean;
}

type Listener<T> = (value: T) => void;

export class EngineClient {
  private worker: ChildProcess | undefined;
  /** The end of the worker's stderr (an uncaught error's message, for the crash report). */
  private stderrTail = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastLoad: LoadParams | undefined;
  private lastError: string | undefined;
  private startedAt = 0;
  private consecutiveCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly crashListeners = new Set<Listener<CrashInfo>>();
  private readonly restartListeners = new Set<Listener<ModelInfo | undefined>>();
  private readonly opts: Required<Omit<EngineClientOptions, 'log' | 'maxOldGenerationSizeMb'>> &
    Pick<EngineClientOptions, 'log' | 'maxOldGenerationSizeMb'>;
  /** Number of requests cancelled so far (for benchmarks and tests). */
  cancelledCount = 0;
  /** Number of worker restarts so far. */
  restarts = 0;

  constructor(options: EngineClientOptions) {
    this.opts = { initialBackoffMs: 500, maxBackoffMs: 30_000, stableAfterMs: 60_000, stopGraceMs: 20_000, ...options };
    this.spawn();
  }

  /** Fires when the worker dies unexpectedly (before the restart). */
  onCrash(listener: Listener<CrashInfo>): { dispose(): void } {
    this.crashListeners.add(listener);
    return { dispose: () => this.crashListeners.delete(listener) };
  }

  /** Fires when a restarted worker is ready again (with the reloaded model, or undefined if none was loaded). */
  onRestart(listener: Listener<ModelInfo | undefined>): { dispose(): void } {
    this.restartListeners.add(listener);
    return { dispose: () => this.restartListeners.delete(listener) };
  }

  /** Loads a model; it is reloaded automatically after a worker restart. */
  async load(params: LoadParams, options: RequestOptions = {}): Promise<ModelInfo> {
    this.lastLoad = params;
    return this.request('load', params, options);
  }

  /** Sends one request. Rejects with CancelledError when `options.signal` aborts first. */
  request<M extends Method>(method: M, params: Methods[M]['params'], options: RequestOptions = {}): Promise<Methods[M]['result']> {
    if (this.disposed) return Promise.reject(new Error('engine client disposed'));
    const id = this.nextId++;
    const message = { type: 'request', id, method, params } as WorkerRequest;
    return new Promise<Methods[M]['result']>((resolve, reject) => {
      const p: Pending = { method, resolve: resolve as (v: unknown) => void, reject, options, message, sent: false };
      if (options.signal) {
        if (options.signal.aborted) {
          this.cancelledCount++;
          reject(new CancelledError());
          return;
        }
        options.signal.addEventListener(
          'abort',
          () => {
            if (!this.pending.has(id)) return;
            this.pending.delete(id);
            this.cancelledCount++;
            if (p.sent) this.post({ type: 'cancel', id });
            reject(new CancelledError());
          },
          { once: true },
        );
      }
      this.pending.set(id, p);
      if (this.worker) this.send(id, p);
    });
  }

  /** Number of requests sent or queued and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Process id of the current worker (undefined while restarting). */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /** Terminates the worker; pending requests are rejected. */
  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    this.worker = undefined;
    for (const [, p] of this.pending) p.reject(new Error('engine client disposed'));
    this.pending.clear();
    if (w) await this.stop(w, 0);
  }

  /**
   * Stops a worker: asks it to exit at its next event-loop turn (between two inference calls, so its last answer is
   * out), and kills it if it has not exited after the grace period.
   */
  private async stop(w: ChildProcess, code: number): Promise<void> {
    if (w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    try {
      w.send({ type: 'shutdown', code } satisfies WorkerRequest);
    } catch {
      /* the channel is already closed */
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.opts.stopGraceMs)));
    const r = await Promise.race([exited, timeout]);
    if (timer) clearTimeout(timer);
    if (r === 'timeout') {
      w.kill('SIGKILL');
      await exited;
    }
  }

  /**
   * Kills the worker process outright, in the middle of whatever request it is running, as a native crash would
   * (tests: recovery after a worker dies mid-request).
   */
  async killWorkerForTest(): Promise<void> {
    const w = this.worker;
    if (!w || w.exitCode !== null || w.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.kill('SIGKILL');
    await exited;
  }

  private post(m: WorkerRequest): void {
    try {
      this.worker?.send(m);
    } catch {
      /* the worker is exiting: its 'exit' handler settles what was in flight */
    }
  }

  private send(id: number, p: Pending): void {
    p.sent = true;
    this.post(p.message);
  }

  private spawn(): void {
    const execArgv = ['--expose-gc']; // lets `ping {gc: true}` collect the worker (leak measurements)
    if (this.opts.maxOldGenerationSizeMb) execArgv.push(`--max-old-space-size=${this.opts.maxOldGenerationSizeMb}`);
    const w = fork(this.opts.workerPath, [], {
      execArgv,
      serialization: 'advanced', // structured clone: typed arrays arrive as typed arrays
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        ELECTRON_RUN_AS_NODE: '1', // under VS Code, process.execPath is Electron: run it as plain Node
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
      },
    });
    this.worker = w;
    this.startedAt = Date.now();
    this.lastError = undefined;
    this.stderrTail = '';
    w.stderr?.setEncoding('utf8');
    w.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    w.on('message', (m: WorkerMessage) => this.onMessage(m));
    w.on('error', (e) => {
      this.lastError = e.message;
      this.opts.log?.(`engine worker error: ${this.lastError}`);
    });
    // 'close' rather than 'exit': it comes after stderr has drained, so an uncaught error's message is in the tail.
    w.on('close', (code, signal) => this.onExit(w, code, signal));
  }

  /** Sends the requests queued while the worker was down, in order. */
  private flush(): void {
    for (const [id, p] of this.pending) if (!p.sent && this.worker) this.send(id, p);
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'log') {
      this.opts.log?.(`[worker] ${m.message}`);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return; // answered after a cancel: ignore
    if (m.type === 'partial' || m.type === 'progress') {
      this.onEvent(p, m);
      return;
    }
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else if ('cancelled' in m) {
      this.cancelledCount++;
      p.reject(new CancelledError());
    } else p.reject(new RemoteError(m.error.message, m.error.code, m.error.name));
  }

  private onEvent(p: Pending, m: WorkerEvent): void {
    if (m.type === 'partial') p.options.onPartial?.(m.block);
    else if (m.type === 'progress') p.options.onProgress?.(m.message);
  }

  private onExit(w: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.worker !== w) return; // an old worker (already replaced or disposed)
    this.worker = undefined;
    if (this.disposed) return;
    const reason = this.lastError ?? uncaughtError(this.stderrTail) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
    const lived = Date.now() - this.startedAt;
    this.consecutiveCrashes = lived > this.opts.stableAfterMs ? 1 : this.consecutiveCrashes + 1;
    const delay = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (this.consecutiveCrashes - 1));
    // Requests that were in flight die with the worker; queued-but-unsent ones wait for the restart.
    for (const [id, p] of this.pending) {
      if (p.sent) {
        this.pending.delete(id);
        p.reject(new WorkerCrashedError(`The Plausibility engine stopped (${reason}).`));
      }
    }
    this.opts.log?.(`engine worker died (${reason}); restarting in ${delay} ms`);
    const info: CrashInfo = { reason, consecutive: this.consecutiveCrashes, restartInMs: delay };
    for (const l of this.crashListeners) l(info);
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    this.restartTimer = undefined;
    if (this.disposed) return;
    this.restarts++;
    this.spawn();
    // The model reload goes first; the requests queued meanwhile follow it.
    const reload = this.lastLoad ? this.request('load', this.lastLoad) : undefined;
    this.flush();
    let info: ModelInfo | undefined;
    if (reload) {
      try {
        info = await reload;
      } catch (e) {
        this.opts.log?.(`model reload after restart failed: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
    for (const l of this.restartListeners) l(info);
  }
}

/** The message of the uncaught error Node printed to stderr before exiting ("Error: ..." line), if any. */
function uncaughtError(stderr: string): string | undefined {
  const m = /^(?:Uncaught )?(?:[A-Z]\w*)?Error(?: \[\w+\])?: (.+)$/m.exec(stderr);
  return m?.[1].trim();
}
