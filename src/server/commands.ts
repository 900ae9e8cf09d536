/** `workspace/executeCommand`: ranking continuations, rewrites, ignoring spans, the allow-list, rescoring. */
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type { Engine } from '../core/engine';
import type { DocumentLinting } from './documents';
import { COMMANDS, RankParams, RankRow } from './protocol';
import { rankContinuations } from './rank';
import { offerRewrites, type RewriteResult } from '../core/generation/rewriteOffer';

export interface CommandHost {
  engine(): Promise<Engine | undefined>;
  linting: DocumentLinting;
  info(message: string): void;
  error(message: string): void;
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

/** `{context, candidates, perToken?}`, or the arguments `context, candidates[]` (clients that pass a list). */
export function rankParams(args: unknown[]): RankParams {
  const [a, b] = args;
  const p = (typeof a === 'object' && a !== null ? a : { context: a, candidates: b }) as Partial<RankParams>;
  if (typeof p.context !== 'string') throw invalid(`${COMMANDS.rank} needs a context string`);
  if (!Array.isArray(p.candidates) || p.candidates.length === 0 || !p.candidates.every((c) => typeof c === 'string'))
    throw invalid(`${COMMANDS.rank} needs a non-empty list of candidate strings`);
  return { context: p.context, candidates: p.candidates, perToken: p.perToken === true };
}

function uriArg(args: unknown[], command: string): string {
  if (typeof args[0] !== 'string') throw invalid(`${command} needs a document URI`);
  return args[0];
}

export async function executeCommand(host: CommandHost, command: string, args: unknown[] = []): Promise<RankRow[] | RewriteResult | string | null> {
  switch (command) {
    case COMMANDS.rank: {
      const p = rankParams(args);
      const engine = await host.engine();
      if (!engine) throw new ResponseError(ErrorCodes.InternalError, 'the model is not loaded');
      return host.linting.exclusive(() => rankContinuations(engine, p.context, p.candidates, { perToken: p.perToken }));
    }
    case COMMANDS.ignoreSpan: {
      const uri = uriArg(args, command);
      const [start, end] = [args[1], args[2]];
      if (typeof start !== 'number' || typeof end !== 'number') throw invalid(`${command} needs start and end offsets`);
      host.linting.ignoreSpan(uri, start, end);
      return null;
    }
    case COMMANDS.clearIgnoredSpans:
      host.linting.clearIgnored(uriArg(args, command));
      return null;
    case COMMANDS.addToAllowList: {
      const uri = uriArg(args, command);
      if (typeof args[1] !== 'string') throw invalid(`${command} needs a phrase`);
      try {
        const line = host.linting.allowList.add(uri, args[1]);
        host.linting.republishAll();
        host.info(`Plausibility: "${line}" added to the workspace allow-list.`);
        return line;
      } catch (e) {
        host.error(`Plausibility: cannot add to the allow-list: ${(e as Error).message}`);
        return null;
      }
    }
    case COMMANDS.rewrite: {
      const p = (typeof args[0] === 'object' && args[0] !== null ? args[0] : {}) as { uri?: unknown; start?: unknown; end?: unknown; kind?: unknown };
      if (typeof p.uri !== 'string' || typeof p.start !== 'number' || typeof p.end !== 'number' || !(p.end > p.start))
        throw invalid(`${command} needs {uri, start, end} with start < end`);
      const text = host.linting.text(p.uri);
      if (text === undefined) throw invalid(`${command}: ${p.uri} is not open`);
      const engine = await host.engine();
      if (!engine) throw new ResponseError(ErrorCodes.InternalError, 'the model is not loaded');
      const kind = p.kind === 'toxicity' ? 'toxicity' : 'model';
      const { start, end } = p;
      return host.linting.exclusive(() => offerRewrites(engine, text, start, end, { kind, markdown: /\.(md|markdown)$/i.test(p.uri as string) }));
    }
    case COMMANDS.rescore:
      host.linting.schedule(uriArg(args, command), 0);
      return null;
    default:
      throw new ResponseError(ErrorCodes.MethodNotFound, `unknown command ${command}`);
  }
}
