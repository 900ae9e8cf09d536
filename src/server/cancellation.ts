/** An LSP cancellation token as an AbortSignal (what the engine's long calls take). */
import type { CancellationToken } from 'vscode-languageserver/node';

export function abortSignalOf(token: CancellationToken | undefined): AbortSignal {
  const c = new AbortController();
  if (token?.isCancellationRequested) c.abort();
  else token?.onCancellationRequested(() => c.abort());
  return c.signal;
}
