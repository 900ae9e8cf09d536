/**
 * `npm run bench:soak`: a long run of simulated editing through the language server over LSP (`node dist/server.js
 * --stdio`), as an editor drives it, to catch leaks and error paths that only show up over time.
 *
 * 20 documents are open. Every 20-120 ms one of them (mostly the "focused" one, which changes now and then) gets an
 * edit: a typed word, a deleted word, a replaced word, a new or deleted paragraph, a pasted block, or an undo back
 * to an earlier version, sent at once as a textDocument/didChange (incremental sync); the server debounces
 * (debounceMs) and cancels its pass of a superseded version, as in the editor. Documents are also closed and
 * reopened now and then. Every publishDiagnostics is checked: it must carry a version that was sent and not yet
 * superseded by a published one, and each diagnostic's range must lie inside that version's text and match its
 * offsets (`data`).
 *
 * RSS figures are this process (the editor side) plus the server's process (VmRSS of /proc/<pid>/status). The server
 * is started with --expose-gc and a preload that collects its garbage on SIGUSR2 (bench only; see lspSession.ts).
 *
 * Runs for SOAK_SECONDS (default 600; or --seconds N) after a warm-up of the same editing, so that the start RSS
 * includes the bounded caches at their steady size (the KV prefix cache, onnxruntime's memory arena, the per-document
 * block caches): what grows after that is a leak. The warm-up lasts at least SOAK_WARMUP_SECONDS (default 60; or
 * --warmup N) and goes on until the server's caches (plausibility/stats: cached blocks and check results) and its RSS
 * have not grown by more than 2% for 60 s and at least SOAK_WARMUP_PASSES (default 100; or --warmup-passes N)
 * document versions have been linted (at most SOAK_WARMUP_MAX_SECONDS, default 600; or --warmup-max N).
 * Prints key=value lines:
 *   docs, soak_seconds, warmup_seconds, rss_loaded_mb (model loaded, every document linted once), rss_start_mb (after
 *   the warm-up), rss_end_mb, rss_peak_mb, requests (document versions sent: opens and changes, each asking for a
 *   lint), completed (versions whose diagnostics arrived and checked out), errors (bad or unexpected publishes, server
 *   error messages, a last version never published), cancelled (versions superseded or closed before their
 *   diagnostics), worker_restarts (always 0: the server is never restarted, and its exit fails the run), worker_gc
 *   (whether the server's isolate could be collected), worker_heap_start_mb/_end_mb (the server's heap),
 *   cached_blocks_start/_end and cached_checks_start/_end (the server's caches), and last
 *   rss_growth_mb (end - start, each the median of five samples after full collections of both isolates). Target:
 *   growth under 50 MB with zero errors.
 *
 * Options: --model DIR (default: the bundled model), --seconds N, --debounce MS (server debounceMs, default 150),
 * --seed N, --server FILE (default dist/server.js).
 */
import { setFlagsFromString } from 'node:v8';
import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { Diagnostic, Position } from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { defaultModelDir } from '../src/core/model/paths';

import { arg } from './common';
import { LspSession, Published, ServerHeap } from './lspSession';
import { STATS_REQUEST, type StatsResult } from '../src/server/protocol';

import { mulberry32 as rng } from '../src/core/scoring/math';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const hostRssMb = () => process.memoryUsage().rss / 1048576;
const hostHeap = () => {
  const m = process.memoryUsage();
  return `host heap ${(m.heapUsed / 1048576).toFixed(1)} MB, host external ${(m.external / 1048576).toFixed(1)} MB`;
};
const serverHeap = (h: ServerHeap | undefined) =>
  h ? `server heap ${h.heapUsedMb.toFixed(1)} MB, server external ${h.externalMb.toFixed(1)} MB` : 'server heap unknown';
/** What the editor pays: this process plus the language server's process. */
const rssMb = (s: LspSession) => hostRssMb() + s.serverRssMb();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS after full collections of both isolates (this one and the server's, which holds the KV caches' tensors), as the
 * median of five samples: a single sample can land on a transient allocation.
 */
async function settledRss(s: LspSession): Promise<{ rss: number; serverGc: boolean; serverHeapMb: number }> {
  process.stderr.write(`before collections: rss ${rssMb(s).toFixed(1)} MB (host ${hostRssMb().toFixed(1)}, server ${s.serverRssMb().toFixed(1)}), ${hostHeap()}\n`);
  let heap: ServerHeap | undefined;
  for (let i = 0; i < 3; i++) {
    gc();
    heap = await s.collectGarbage();
    await sleep(200);
  }
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMb(s));
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  process.stderr.write(`after collections: rss ${samples[2].toFixed(1)} MB (host ${hostRssMb().toFixed(1)}, server ${s.serverRssMb().toFixed(1)}), ${hostHeap()}, ${serverHeap(heap)}\n`);
  return { rss: samples[2], serverGc: heap?.gcRan === true, serverHeapMb: heap?.heapUsedMb ?? NaN };
}

const WORDS = (
  'the a of and to in is was that for it with as on be at by this had not are but from or have an they which one you ' +
  'were her all she there would their we him been has when who will more no if out so said what up its about into ' +
  'than them can only other new some could time these two may then do first any my now such like our over man me ' +
  'even most made after also did many before must through back years where much your way well down should because ' +
  'each just those people how too little state good very make world still own see men work long get here between ' +
  'both life being under never day same another know while last might us great old year off come since against go ' +
  'came right used take three river garden letter morning village report market bridge winter evening library'
).split(' ');

const SENTENCES = [
  'The committee reviewed the proposal before the meeting.',
  'Our team visited the harbour after a long week.',
  'The old farmer repaired the broken bridge with great care.',
  'A young doctor explained the results of the survey in the spring.',
  'The city council published a long report on Tuesday morning.',
  'My neighbour planned an unusual trip to the north.',
  'The museum opened a new room for the winter schedule.',
  'Every student remembered the history of the town.',
  'The river carried the evening train of boats past the village.',
  'Her brother measured the garden behind the house.',
];

function paragraph(r: () => number): string {
  const n = 2 + Math.floor(r() * 5);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(SENTENCES[Math.floor(r() * SENTENCES.length)]);
  return out.join(' ');
}

function makeDoc(r: () => number, i: number): { text: string; languageId: string } {
  const md = i % 2 === 0;
  const paras: string[] = [];
  if (md) paras.push(`# Document ${i}`);
  const n = 4 + Math.floor(r() * 10);
  for (let k = 0; k < n; k++) {
    paras.push(paragraph(r));
    if (md && r() < 0.15) paras.push('```js\nconst x = 1; // not prose\n```');
    if (r() < 0.1) paras.push('Unicode: café, naïve, 東京, emoji 👩‍💻 and e\u0301, עברית, ↔.');
  }
  return { text: paras.join('\n\n') + '\n', languageId: md ? 'markdown' : 'plaintext' };
}

interface Doc {
  uri: string;
  text: string;
  languageId: string;
  base: number;
  history: string[];
  open: boolean;
  /** Versions sent and not yet published or superseded, with their texts. */
  pending: Map<number, string>;
  /** Versions pending at a close: the server may still publish one before it reads the close. */
  closing: Map<number, string>;
  /** Closes whose (versionless, empty) publishDiagnostics has not arrived yet. */
  closes: number;
}

/** One random edit, keeping the document near its original size. */
function edit(d: Doc, r: () => number): void {
  const t = d.text;
  const pos = Math.floor(r() * (t.length + 1));
  const wordAt = (): [number, number] => {
    let s = pos;
    while (s > 0 && /\w/.test(t[s - 1])) s--;
    let e = pos;
    while (e < t.length && /\w/.test(t[e])) e++;
    return [s, e];
  };
  const k = r();
  d.history.push(t);
  if (d.history.length > 20) d.history.shift();
  if (k < 0.05 && d.history.length > 3) {
    // Undo back a few steps.
    const back = d.history.splice(d.history.length - 1 - Math.floor(r() * 3));
    d.text = back[0];
    return;
  }
  const tooLong = t.length > d.base * 1.5;
  const tooShort = t.length < d.base * 0.6;
  if (k < 0.45 && !tooLong) {
    const w = WORDS[Math.floor(r() * WORDS.length)];
    d.text = t.slice(0, pos) + (pos > 0 && t[pos - 1] !== ' ' ? ' ' : '') + w + t.slice(pos);
  } else if (k < 0.7 && !tooShort) {
    const [s, e] = wordAt();
    d.text = t.slice(0, s) + t.slice(Math.min(t.length, e + 1));
  } else if (k < 0.85) {
    const [s, e] = wordAt();
    d.text = t.slice(0, s) + WORDS[Math.floor(r() * WORDS.length)] + t.slice(e);
  } else if (k < 0.93 && !tooLong) {
    const nl = t.indexOf('\n\n', pos);
    const at = nl < 0 ? t.length : nl;
    d.text = t.slice(0, at) + '\n\n' + paragraph(r) + t.slice(at);
  } else if (!tooShort) {
    const a = t.lastIndexOf('\n\n', pos);
    const b = t.indexOf('\n\n', pos);
    if (a >= 0 && b > a) d.text = t.slice(0, a) + t.slice(b);
  }
}

/** Why a diagnostic does not fit the text it claims to be computed for, or undefined when it does. */
function badRange(d: Diagnostic, text: TextDocument): string | undefined {
  const lines = text.lineCount;
  const lineLength = (line: number) => {
    const start = text.offsetAt({ line, character: 0 });
    const end = line + 1 < lines ? text.offsetAt({ line: line + 1, character: 0 }) : text.getText().length;
    return text.getText().slice(start, end).replace(/\r?\n$/, '').length;
  };
  const inside = (p: Position) => p.line >= 0 && p.line < lines && p.character >= 0 && p.character <= lineLength(p.line);
  const { start, end } = d.range;
  if (!inside(start) || !inside(end)) return `range ${JSON.stringify(d.range)} outside the text`;
  if (start.line > end.line || (start.line === end.line && start.character >= end.character)) return `empty or reversed range ${JSON.stringify(d.range)}`;
  const data = d.data as { start?: unknown; end?: unknown } | undefined;
  if (typeof data?.start === 'number' && typeof data.end === 'number') {
    const want = { start: text.positionAt(data.start), end: text.positionAt(data.end) };
    if (JSON.stringify(want) !== JSON.stringify(d.range)) return `range ${JSON.stringify(d.range)} is not offsets ${data.start}-${data.end} of its version`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', process.env.SOAK_SECONDS ?? '600'));
  const modelDir = resolve(arg('model') ?? defaultModelDir(__dirname));
  const debounce = Number(arg('debounce', '150'));
  const r = rng(Number(arg('seed', '7')));

  let requests = 0;
  let completed = 0;
  let errors = 0;
  let cancelled = 0;
  let checked = 0;
  const firstErrors: string[] = [];
  const error = (m: string) => {
    errors++;
    if (firstErrors.length < 5) firstErrors.push(m);
  };

  const session = await LspSession.start({
    serverPath: arg('server'),
    settings: { model: modelDir, executionProvider: 'cpu', checkFrequency: 'edit', debounceMs: debounce },
    gcHook: true,
    onMessage: (type, m) => {
      process.stderr.write(`server: ${m}\n`);
      if (type === 1 || /^lint of .* failed/.test(m)) error(`server: ${m.split('\n')[0]}`);
    },
  });
  let stopping = false;
  void session.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`the language server exited (code ${code}) during the soak\n`);
      process.exit(2);
    }
  });

  const docs: Doc[] = [];
  const byUri = new Map<string, Doc>();
  for (let i = 0; i < 20; i++) {
    const { text, languageId } = makeDoc(r, i);
    const d: Doc = { uri: `file:///plausibility-bench/soak-${i}.${languageId === 'markdown' ? 'md' : 'txt'}`, text, languageId, base: text.length, history: [], open: false, pending: new Map(), closing: new Map(), closes: 0 };
    docs.push(d);
    byUri.set(d.uri, d);
  }
  const inFlight = () => docs.reduce((n, d) => n + d.pending.size + d.closing.size + d.closes, 0);

  session.onDiagnostics(({ params }: Published) => {
    const d = byUri.get(params.uri);
    if (!d) return error(`diagnostics for an unknown document ${params.uri}`);
    if (typeof params.version !== 'number') {
      // The answer to a close: no version, no diagnostics.
      if (d.closes > 0 && params.diagnostics.length === 0) {
        d.closes--;
        cancelled += d.closing.size;
        d.closing.clear();
      } else error(`diagnostics without a version for ${params.uri} (${params.diagnostics.length} diagnostics, ${d.closes} closes pending)`);
      return;
    }
    const text = d.pending.get(params.version) ?? d.closing.get(params.version);
    if (text === undefined) return error(`diagnostics for ${params.uri} v${params.version}, a version not awaited (pending: ${[...d.pending.keys()].join(',') || 'none'})`);
    for (const m of [d.pending, d.closing]) {
      for (const v of m.keys()) {
        if (v < params.version) {
          m.delete(v);
          cancelled++;
        }
      }
      m.delete(params.version);
    }
    const doc = TextDocument.create(params.uri, d.languageId, params.version, text);
    checked += params.diagnostics.length;
    for (const diag of params.diagnostics) {
      const bad = badRange(diag, doc);
      if (bad) return error(`${params.uri} v${params.version}: ${bad}`);
    }
    completed++;
  });

  const sent = (d: Doc, version: number | undefined) => {
    if (version === undefined) return;
    requests++;
    d.pending.set(version, d.text);
  };
  const open = (d: Doc) => {
    d.open = true;
    sent(d, session.open(d.uri, d.text, d.languageId));
  };
  const close = (d: Doc) => {
    session.close(d.uri);
    d.open = false;
    d.closes++;
    for (const [v, text] of d.pending) d.closing.set(v, text);
    d.pending.clear();
  };
  /** Until every open document's last version has its diagnostics (at most `ms`); a version left over is an error. */
  const drain = async (ms: number) => {
    const by = Date.now() + ms;
    while (inFlight() > 0 && Date.now() < by) await sleep(50);
    for (const d of docs) {
      if (d.pending.size > 0) error(`no diagnostics for ${d.uri} v${Math.max(...d.pending.keys())} within ${ms / 1000} s`);
      if (d.closes > 0) error(`no answer to the close of ${d.uri} within ${ms / 1000} s`);
      cancelled += d.pending.size + d.closing.size;
      d.pending.clear();
      d.closing.clear();
      d.closes = 0;
    }
  };

  // Every document opened and linted once; then a warm-up of the same editing as the soak (counters reset afterwards).
  for (const d of docs) open(d);
  await drain(600_000);
  process.stderr.write(`server pid ${session.pid}, model ${session.model?.dir ?? '(not loaded)'} on ${session.model?.provider ?? '-'}\n`);
  const loaded = await settledRss(session);
  const rssLoaded = loaded.rss;
  let focus = 0;
  const warmupSeconds = Number(arg('warmup', process.env.SOAK_WARMUP_SECONDS ?? '60'));
  process.stderr.write(`loaded: rss ${rssLoaded.toFixed(1)} MB; warming up for ${warmupSeconds} s\n`);
  const edits = async (goOn: () => boolean, onTick: () => void) => {
    while (goOn()) {
      onTick();
      if (r() < 0.02) focus = Math.floor(r() * docs.length);
      const d = r() < 0.8 ? docs[focus] : docs[Math.floor(r() * docs.length)];
      if (!d.open) {
        open(d);
      } else if (r() < 0.005 && d !== docs[focus]) {
        close(d);
        continue;
      }
      edit(d, r);
      sent(d, session.change(d.uri, d.text));
      await sleep(20 + Math.floor(r() * 100));
    }
  };
  const warmPasses = Number(arg('warmup-passes', process.env.SOAK_WARMUP_PASSES ?? '100'));
  const warmStart = Date.now();
  const warmMax = warmStart + Number(arg('warmup-max', process.env.SOAK_WARMUP_MAX_SECONDS ?? '600')) * 1000;
  const stats = () => session.conn.sendRequest<StatsResult>(STATS_REQUEST, null);
  // The caches fill with lint passes, not with time: the warm-up lasts until the server's block and check caches
  // have stopped growing for 60 s (they are bounded per document), and its RSS with them.
  // Growth is measured against the values when it last grew by 2%, so that slow, steady filling counts too.
  let ref = { blocks: 0, checks: 0, rss: session.serverRssMb() };
  let grewAt = warmStart;
  let lastSample = warmStart;
  let sampling = false;
  await edits(
    () => {
      const now = Date.now();
      if (now - lastSample >= 2000 && !sampling) {
        lastSample = now;
        sampling = true;
        void stats()
          .then((st) => {
            const rss = session.serverRssMb();
            if (st.cachedBlocks > ref.blocks * 1.02 || st.cachedChecks > ref.checks * 1.02 || rss > ref.rss * 1.02) {
              grewAt = Date.now();
              ref = { blocks: st.cachedBlocks, checks: st.cachedChecks, rss };
            }
          })
          .finally(() => (sampling = false));
      }
      const filling = now - grewAt < 60_000 || completed < warmPasses;
      return now < warmStart + warmupSeconds * 1000 || (filling && now < warmMax);
    },
    () => undefined,
  );
  const warmedSeconds = (Date.now() - warmStart) / 1000;
  await drain(180_000);
  requests = completed = errors = cancelled = checked = 0;
  firstErrors.length = 0;
  const start = await settledRss(session);
  const rssStart = start.rss;
  const cachesStart = await stats();
  let rssPeak = rssStart;
  process.stderr.write(`warm after ${warmedSeconds.toFixed(0)} s (server rss ${session.serverRssMb().toFixed(1)} MB): rss ${rssStart.toFixed(1)} MB; soaking for ${seconds} s\n`);

  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let lastReport = t0;
  let lastPeak = t0;
  await edits(() => Date.now() < end, () => {
    const now = Date.now();
    if (now - lastPeak >= 1000) {
      lastPeak = now;
      rssPeak = Math.max(rssPeak, rssMb(session));
    }
    if (now - lastReport >= 30_000) {
      lastReport = now;
      process.stderr.write(
        `t=${((now - t0) / 1000).toFixed(0)}s rss=${rssMb(session).toFixed(1)}MB (host ${hostRssMb().toFixed(1)}) requests=${requests} completed=${completed} cancelled=${cancelled} errors=${errors} in_flight=${inFlight()}\n`,
      );
    }
  });
  // Let the last passes finish.
  await drain(60_000);
  const endState = await settledRss(session);
  const cachesEnd = await stats();
  const rssEnd = endState.rss;
  rssPeak = Math.max(rssPeak, rssEnd);
  stopping = true;
  await session.shutdown();
  process.stderr.write(`${checked} diagnostics checked against the text of their version\n`);
  for (const e of firstErrors) process.stderr.write(`error: ${e}\n`);
  console.log(`docs=${docs.length}`);
  console.log(`soak_seconds=${seconds}`);
  console.log(`warmup_seconds=${warmedSeconds.toFixed(0)}`);
  console.log(`rss_loaded_mb=${rssLoaded.toFixed(1)}`);
  console.log(`rss_start_mb=${rssStart.toFixed(1)}`);
  console.log(`rss_end_mb=${rssEnd.toFixed(1)}`);
  console.log(`rss_peak_mb=${rssPeak.toFixed(1)}`);
  console.log(`requests=${requests}`);
  console.log(`completed=${completed}`);
  console.log(`errors=${errors}`);
  console.log(`cancelled=${cancelled}`);
  console.log(`worker_restarts=0`);
  console.log(`worker_gc=${endState.serverGc}`);
  console.log(`worker_heap_start_mb=${start.serverHeapMb.toFixed(1)}`);
  console.log(`worker_heap_end_mb=${endState.serverHeapMb.toFixed(1)}`);
  console.log(`cached_blocks_start=${cachesStart.cachedBlocks}`);
  console.log(`cached_blocks_end=${cachesEnd.cachedBlocks}`);
  console.log(`cached_checks_start=${cachesStart.cachedChecks}`);
  console.log(`cached_checks_end=${cachesEnd.cachedChecks}`);
  console.log(`rss_growth_mb=${(rssEnd - rssStart).toFixed(1)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(2);
});
