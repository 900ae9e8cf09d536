import * as vscode from 'vscode';

export type ProgressReporter = vscode.Progress<{ message?: string; increment?: number }>;

/**
 * Runs `task` under a cancellable progress notification. Cancelling the notification aborts the signal the task got;
 * pass `abort` when something else (a newer request) must be able to abort it too.
 */
export async function withCancellableProgress<T>(
  title: string,
  task: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>,
  abort: AbortController = new AbortController(),
): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      return await task(abort.signal, progress);
    } finally {
      sub.dispose();
    }
  });
}
