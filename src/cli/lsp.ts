/** `plausibility lsp [--stdio | --node-ipc | --socket=N]`: runs the language server (src/server) in this process. */
import { startFromArgv } from '../server/main';
import type { Out } from './out';

const TRANSPORT = /^--(stdio|node-ipc|socket=\d+|pipe=.+|clientProcessId=\d+)$/;

/** Starts the server; the returned promise never settles (the server exits the process on `exit`). */
export function cmdLsp(args: string[], out: Out): Promise<number> {
  const unknown = args.filter((a) => !TRANSPORT.test(a));
  if (unknown.length) {
    out.error(`lsp: unknown option ${unknown.join(' ')} (use --stdio, --node-ipc or --socket=PORT)`);
    return Promise.resolve(2);
  }
  startFromArgv();
  return new Promise<number>(() => undefined);
}
