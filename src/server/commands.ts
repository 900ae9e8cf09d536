/** `workspace/executeCommand`: ranking continuations, rewrites, ignoring spans, the allow-list, rescoring. */
import { CancellationToken, ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { abortSignalOf } from './cancellation';
import { validateInChild } from './validate';
import type { Engine } from '../core/engine';
import type { DocumentLinting } from './documents';
import { COMMANDS, RankParams } from './protocol';
import { rankContinuations } from './rank';
import type { RewriteResult } from '../core/generation/rewriteOffer';
import { splitSentences } from '../core/text/sentences';
import { trainHead, type TrainHeadParams } from './heads';
import { completionsAt, offerDocumentRewrites, rankSelection } from './generation';
import { normalizeLanguageId, type ServerSettings } from './settings';

export interface CommandHost {
  engine(): Promise<Engine | undefined>;
  /** Loads the model again if its last load failed (the user may have fixed it). */
  retryFailedModel(): Promise<void>;
  settings(): ServerSettings;
  linting: DocumentLinting;
  info(message: string): void;
  error(message: string): void;
  /** Runs work under a $/progress token; `report` takes a message and a percentage. */
  progress<T>(title: string, work: (report: (message: string, percent?: number) => void) => Promise<T>): Promise<T>;
  /** The report of an open document (null before its first pass). */
  report(uri: string): unknown;
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

/** The first argument as an object (commands that take `{...}`). */
function objectArg(args: unknown[]): Record<string, unknown> {
  return typeof args[0] === 'object' && args[0] !== null ? (args[0] as Record<string, unknown>) : {};
}

/** `{uri, ...}` of an open document: its text and whether it is Markdown, or an InvalidParams error. */
function openText(host: CommandHost, p: Record<string, unknown>, command: string): { uri: string; text: string; markdown: boolean } {
  if (typeof p.uri !== 'string') throw invalid(`${command} needs a document URI`);
  const doc = host.linting.document(p.uri);
  if (!doc) throw invalid(`${command}: ${p.uri} is not open`);
  return { uri: p.uri, text: doc.getText(), markdown: normalizeLanguageId(doc.languageId) === 'markdown' };
}

async function loadedEngine(host: CommandHost): Promise<Engine> {
  const engine = await host.engine();
  if (!engine) throw new ResponseError(ErrorCodes.InternalError, 'the model is not loaded');
  return engine;
}

/** Errors of the engine's input checks (InputError, PlausibilityError) reach the client as their message. */
function asResponseError(e: unknown): unknown {
  if (e instanceof ResponseError) return e;
  const err = e as { message?: string; code?: unknown };
  return new ResponseError(ErrorCodes.InvalidRequest, err?.message ?? String(e), { code: err?.code });
}

export async function executeCommand(host: CommandHost, command: string, args: unknown[] = [], token?: CancellationToken): Promise<unknown> {
  // Long requests (rewrites, completions, training) stop at their next model step once the client cancels them.
  const signal = abortSignalOf(token);
  try {
    return await run(host, command, args, signal);
  } catch (e) {
    if (signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    throw asResponseError(e);
  }
}

async function run(host: CommandHost, command: string, args: unknown[], signal: AbortSignal): Promise<unknown> {
  switch (command) {
    case COMMANDS.rank: {
      const p = rankParams(args);
      const engine = await loadedEngine(host);
      return host.linting.exclusive(() => rankContinuations(engine, p.context, p.candidates, { perToken: p.perToken }));
    }
    case COMMANDS.ignoreSpan: {
      const uri = uriArg(args, command);
      const [start, end] = [args[1], args[2]];
      if (typeof start !== 'number' || typeof end !== 'number') throw invalid(`${command} needs start and end offsets`);
      return host.linting.ignoreSpan(uri, start, end) ?? null;
    }
    case COMMANDS.restoreIgnoredSpans: {
      const uri = uriArg(args, command);
      const keys = Array.isArray(args[1]) ? args[1].filter((k): k is string => typeof k === 'string') : [];
      host.linting.restoreIgnored(uri, keys);
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
      const p = objectArg(args);
      const { text, markdown } = openText(host, p, command);
      // Without a span, the sentence at `offset` (the toxicity rewrite from the cursor).
      if (p.start === undefined && typeof p.offset === 'number') {
        const at = p.offset;
        const s = splitSentences(text).find((x) => x.start <= at && at <= x.end);
        if (!s) throw invalid(`${command}: no sentence at offset ${at}`);
        [p.start, p.end] = [s.start, s.end];
      }
      if (typeof p.start !== 'number' || typeof p.end !== 'number' || !(p.end > p.start))
        throw invalid(`${command} needs {uri, start, end} with start < end, or {uri, offset}`);
      const engine = await loadedEngine(host);
      const span = { start: p.start, end: p.end, kind: p.kind === 'toxicity' ? ('toxicity' as const) : ('model' as const), markdown };
      return host.linting.exclusive((): Promise<RewriteResult> => offerDocumentRewrites(engine, text, span, host.settings(), signal));
    }
    case COMMANDS.rankOptions: {
      const p = objectArg(args);
      const { text } = openText(host, p, command);
      if (typeof p.start !== 'number' || typeof p.end !== 'number') throw invalid(`${command} needs {uri, start, end}`);
      const engine = await loadedEngine(host);
      const [start, end] = [p.start, p.end];
      return host.linting.exclusive(() => rankSelection(engine, text, start, end));
    }
    case COMMANDS.complete: {
      const p = objectArg(args);
      const { text } = openText(host, p, command);
      if (typeof p.offset !== 'number') throw invalid(`${command} needs {uri, offset}`);
      const engine = await host.engine();
      if (!engine) return [];
      const offset = p.offset;
      return host.linting.exclusive(() => completionsAt(engine, text, offset, signal));
    }
    case COMMANDS.report: {
      const p = objectArg(args);
      return host.report(openText(host, p, command).uri) ?? null;
    }
    case COMMANDS.trainHead: {
      const engine = await loadedEngine(host);
      const p = objectArg(args) as unknown as TrainHeadParams;
      return host.progress('Plausibility: training a discriminator head', (report) =>
        host.linting.exclusive(() => trainHead(engine, p, report, signal)),
      );
    }
    case COMMANDS.validateModel: {
      const p = objectArg(args);
      if (typeof p.dir !== 'string' || !p.dir) throw invalid(`${command} needs {dir}`);
      const variant = typeof p.variant === 'string' ? p.variant : host.settings().variant;
      return { problem: await validateInChild(p.dir, variant, signal) };
    }
    case COMMANDS.rescore: {
      const uri = uriArg(args, command);
      if (!host.linting.document(uri)) throw invalid(`${command}: ${uri} is not open`);
      await host.retryFailedModel();
      host.linting.rescore(uri);
      return null;
    }
    default:
      throw new ResponseError(ErrorCodes.MethodNotFound, `unknown command ${command}`);
  }
}
