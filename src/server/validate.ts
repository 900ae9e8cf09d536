/**
 * Checking a model folder before it replaces the one in use: load it and score a probe sentence in a short-lived
 * child process (dist/server.js --validate-model DIR), so that a model which crashes onnxruntime takes down only
 * that child, never the server and the working model.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { validateModelDir } from '../core/model/validateModel';

export const VALIDATE_FLAG = '--validate-model';

/** Resolves with the problem, or undefined when the model works. */
export function validateInChild(dir: string, variant: string, signal: AbortSignal, timeoutMs = 120_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = fork(join(__dirname, 'server.js'), [VALIDATE_FLAG, dir, variant], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1', ELECTRON_RUN_AS_NODE: '1' },
    });
    let answer: string | undefined | null = null;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.on('message', (m: { problem?: string }) => (answer = m.problem));
    const stop = (why: string) => {
      answer ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(`loading and scoring a sentence took longer than ${timeoutMs / 1000} s`), timeoutMs);
    signal.addEventListener('abort', () => stop('cancelled'));
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      if (answer !== null) return resolve(answer);
      const last = stderr.trim().split('\n').pop();
      resolve(`the engine stopped while loading the model (${sig ?? `exit code ${code}`})${last ? `: ${last}` : ''}`);
    });
  });
}

/** The child's side: validate, answer over IPC, exit. */
export async function runValidation(dir: string, variant: string): Promise<void> {
  let problem: string | undefined;
  try {
    await validateModelDir(dir, { variant });
  } catch (e) {
    problem = (e as Error)?.message ?? String(e);
  }
  process.send?.({ problem }, () => process.exit(0));
}
