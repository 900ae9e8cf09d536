import * as vscode from 'vscode';

export type ProgressReporter = vscode.Progress<{ message?: string; increment?: number }>;

/**
 * Runs `task` under a cancellable progress notification. Cancelling the notification, or aborting `abort` (a newer
 * request replacing this one), cancels the token the task got; the server stops the request at its next step.
 */
export async function withCancellableProgress<T>(
  title: string,
  task: (token: vscode.CancellationToken, progress: ProgressReporter) => Promise<T>,
  abort: AbortController = new AbortController(),
): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const source = new vscode.CancellationTokenSource();
    const cancel = () => {
      abort.abort();
      source.cancel();
    };
    const sub = token.onCancellationRequested(cancel);
    abort.signal.addEventListener('abort', cancel);
    try {
      return await task(source.token, progress);
    } finally {
      sub.dispose();
      abort.signal.removeEventListener('abort', cancel);
      source.dispose();
    }
  });
}
