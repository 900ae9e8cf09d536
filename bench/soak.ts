/**
 * `npm run bench:soak`: a long run of simulated editing through the same worker, protocol and incremental document
 * scorer the extension uses (no VS Code), to catch leaks and error paths that only show up over time.
 *
 * 20 documents are open. Every 20-120 ms one of them (mostly the "focused" one, which changes now and then) gets an
 * edit: a typed word, a deleted word, a replaced word, a new or deleted paragraph, a pasted block, or an undo back
 * to an earlier version. As in the extension, an edit cancels the document's pass in flight and schedules a new
 * pass after a short debounce. Documents are also closed (their caches released) and reopened now and then.
 *
 * RSS figures are the host process plus the engine worker's process (the worker is a child process).
 *
 * Runs for SOAK_SECONDS (default 600; or --seconds N) after a warm-up of the same editing, so that the start RSS
 * includes the bounded caches at their steady size (the worker's KV prefix cache of up to 48 MB, onnxruntime's memory
 * arena, the per-document block caches): what grows after that is a leak. The warm-up lasts at least
 * SOAK_WARMUP_SECONDS (default 60; or --warmup N) and goes on until the documents' block caches have not grown by
 * more than 2% for 60 s (at most SOAK_WARMUP_MAX_SECONDS, default 600; or --warmup-max N): with 20 documents that
 * each keep 64 spare blocks, a fixed minute left them half full and the soak counted their filling as growth.
 * Prints key=value lines:
 *   docs, soak_seconds, warmup_seconds, rss_loaded_mb (model loaded, every document scored once), rss_start_mb (after the warm-up),
 *   rss_end_mb,
 *   rss_peak_mb, requests (scoring passes sent through the worker protocol), completed, errors, cancelled,
 *   worker_restarts, worker_gc (whether the worker's isolate could be collected), worker_heap_start_mb/_end_mb, and last
 *   rss_growth_mb (end - start, each the median of five samples after full collections of both isolates). Target: growth under
 *   50 MB with zero errors.
 *
 * Options: --model DIR (default: the bundled model), --seconds N, --threads N (worker intra-op threads),
 * --debounce MS (default 150), --seed N.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultModelDir } from '../src/core/model/paths';
import { EngineClient } from '../src/worker/client';
import { DocumentScorer } from '../src/worker/document';
import { CancelledError } from '../src/worker/protocol';

import { arg } from './common';

import { mulberry32 as rng } from '../src/core/scoring/math';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const hostRssMb = () => process.memoryUsage().rss / 1048576;
const hostHeap = () => {
  const m = process.memoryUsage();
  return `host heap ${(m.heapUsed / 1048576).toFixed(1)} MB, host external ${(m.external / 1048576).toFixed(1)} MB`;
};
let workerPingRssMb = 0;
/**
 * Resident set of the engine worker's process, read from /proc without a request (which would queue behind the
 * passes). The pid comes from the client each time, so a restarted worker is followed.
 */
function workerRssMb(client: EngineClient): number {
  const pid = client.workerPid;
  if (pid === undefined) return workerPingRssMb;
  try {
    return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 1048576;
  } catch {
    return workerPingRssMb; // not Linux: the worker's own figure from its last ping
  }
}
/** What the editor pays: this process (the extension host's part) plus the engine worker's process. */
const rssMb = (client: EngineClient) => hostRssMb() + workerRssMb(client);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RSS after full collections of both isolates (this one and the engine worker's, which holds the KV caches'
 * tensors), as the median of five samples: a single sample can land on a transient allocation.
 */
async function settledRss(client: EngineClient): Promise<{ rss: number; workerGc: boolean; workerHeapMb: number }> {
  let workerGc = false;
  let workerHeapMb = 0;
  const before = await client.request('ping', {});
  process.stderr.write(`before collections: rss ${rssMb(client).toFixed(1)} MB (host ${hostRssMb().toFixed(1)}, worker ${before.rssMb.toFixed(1)}), ${hostHeap()}, worker heap ${before.heapUsedMb.toFixed(1)} MB, worker external ${before.externalMb.toFixed(1)} MB\n`);
  for (let i = 0; i < 3; i++) {
    gc();
    const p = await client.request('ping', { gc: true });
    workerGc = p.gcRan;
    workerPingRssMb = p.rssMb;
    workerHeapMb = p.heapUsedMb;
    await sleep(200);
  }
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMb(client));
    await sleep(200);
  }
  samples.sort((a, b) => a - b);
  const after = await client.request('ping', {});
  process.stderr.write(`after collections: rss ${samples[2].toFixed(1)} MB (host ${hostRssMb().toFixed(1)}, worker ${after.rssMb.toFixed(1)}), ${hostHeap()}, worker heap ${after.heapUsedMb.toFixed(1)} MB, worker external ${after.externalMb.toFixed(1)} MB\n`);
  return { rss: samples[2], workerGc, workerHeapMb };
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
  text: string;
  languageId: string;
  base: number;
  history: string[];
  scorer: DocumentScorer;
  abort?: AbortController;
  timer?: NodeJS.Timeout;
  open: boolean;
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

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', process.env.SOAK_SECONDS ?? '600'));
  const modelDir = arg('model') ?? defaultModelDir(__dirname);
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const debounce = Number(arg('debounce', '150'));
  const r = rng(Number(arg('seed', '7')));
  const client = new EngineClient({ workerPath: join(__dirname, '..', 'worker.js'), log: (m) => process.stderr.write(`${m}\n`) });
  const model = await client.load({ modelDir, executionProvider: 'cpu', threads });
  process.stderr.write(`model ${model.dir} on ${model.provider}, window ${model.contextLength}\n`);

  let requests = 0;
  let completed = 0;
  let errors = 0;
  let cancelled = 0;
  const firstErrors: string[] = [];

  const docs: Doc[] = [];
  const cachedBlocks = () => docs.reduce((n, d) => n + d.scorer.cachedBlocks, 0);
  for (let i = 0; i < 20; i++) {
    const { text, languageId } = makeDoc(r, i);
    const scorer = new DocumentScorer(client);
    scorer.setModel(model);
    docs.push({ text, languageId, base: text.length, history: [], scorer, open: true });
  }

  const pass = async (d: Doc): Promise<void> => {
    d.abort?.abort();
    const ctl = new AbortController();
    d.abort = ctl;
    requests++;
    try {
      const res = await d.scorer.score(d.text, d.languageId, ctl.signal);
      completed++;
      // The findings must lie inside the text they were computed for.
      for (const f of res.findings) if (f.start < 0 || f.end > d.text.length || f.start >= f.end) throw new Error(`bad finding range ${f.start}-${f.end}`);
    } catch (e) {
      if (e instanceof CancelledError) cancelled++;
      else {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(e instanceof Error ? e.message : String(e));
      }
    } finally {
      if (d.abort === ctl) d.abort = undefined;
    }
  };

  // Every document scored once; then a warm-up of the same editing as the soak (counters reset afterwards).
  await Promise.all(docs.map((d) => pass(d)));
  const loaded = await settledRss(client);
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
        d.open = true;
        d.scorer.setModel(model);
      } else if (r() < 0.005 && d !== docs[focus]) {
        // Close: cancel, drop the caches (as DocumentController.release does).
        if (d.timer) clearTimeout(d.timer);
        d.abort?.abort();
        d.scorer.clear();
        d.open = false;
        continue;
      }
      edit(d, r);
      d.abort?.abort();
      if (d.timer) clearTimeout(d.timer);
      d.timer = setTimeout(() => {
        d.timer = undefined;
        void pass(d);
      }, debounce);
      await sleep(20 + Math.floor(r() * 100));
    }
  };
  const warmStart = Date.now();
  const warmMax = warmStart + Number(arg('warmup-max', process.env.SOAK_WARMUP_MAX_SECONDS ?? '600')) * 1000;
  let mostBlocks = cachedBlocks();
  let grewAt = warmStart;
  await edits(
    () => {
      const now = Date.now();
      if (cachedBlocks() > mostBlocks * 1.02) {
        mostBlocks = cachedBlocks();
        grewAt = now;
      }
      return now < warmStart + warmupSeconds * 1000 || (now - grewAt < 60_000 && now < warmMax);
    },
    () => undefined,
  );
  const warmedSeconds = (Date.now() - warmStart) / 1000;
  const idleWarm = Date.now() + 60_000;
  while (client.inFlight > 0 && Date.now() < idleWarm) await sleep(50);
  requests = completed = errors = cancelled = 0;
  const start = await settledRss(client);
  const rssStart = start.rss;
  const blocksStart = cachedBlocks();
  let rssPeak = rssStart;
  process.stderr.write(`warm after ${warmedSeconds.toFixed(0)} s (${cachedBlocks()} cached blocks): rss ${rssStart.toFixed(1)} MB; soaking for ${seconds} s\n`);

  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  let lastReport = t0;
  await edits(() => Date.now() < end, () => {
    const now = Date.now();
    if (now - lastReport >= 1000) rssPeak = Math.max(rssPeak, rssMb(client));
    if (now - lastReport >= 30_000) {
      lastReport = now;
      process.stderr.write(
        `t=${((now - t0) / 1000).toFixed(0)}s rss=${rssMb(client).toFixed(1)}MB (host ${hostRssMb().toFixed(1)}) cached_blocks=${cachedBlocks()} requests=${requests} cancelled=${cancelled} errors=${errors} in_flight=${client.inFlight}\n`,
      );
    }
  });
  // Let the last passes finish.
  for (const d of docs) {
    if (d.timer) {
      clearTimeout(d.timer);
      d.timer = undefined;
      if (d.open) void pass(d);
    }
  }
  const idleBy = Date.now() + 60_000;
  while (client.inFlight > 0 && Date.now() < idleBy) await sleep(50);
  const endState = await settledRss(client);
  const rssEnd = endState.rss;
  rssPeak = Math.max(rssPeak, rssEnd);
  await client.dispose();
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
  console.log(`worker_restarts=${client.restarts}`);
  console.log(`worker_gc=${endState.workerGc}`);
  console.log(`worker_heap_start_mb=${start.workerHeapMb.toFixed(1)}`);
  console.log(`worker_heap_end_mb=${endState.workerHeapMb.toFixed(1)}`);
  console.log(`cached_blocks_start=${blocksStart}`);
  console.log(`cached_blocks_end=${cachedBlocks()}`);
  console.log(`rss_growth_mb=${(rssEnd - rssStart).toFixed(1)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(2);
});
