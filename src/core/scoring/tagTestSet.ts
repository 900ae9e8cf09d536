/**
 * The pure parts of bench:tags, the zero-shot writing-tag benchmark: which held-out text carries which label, how a
 * document is cut into chunks, how a balanced test set is drawn, and the scoring rows that put every candidate tag
 * on the same text tokens. Labels and held-out rules follow training/plausibility_train/corpus.py.
 */
import { createHash } from 'node:crypto';
import type { ScoringRow } from '../engine';

/** The label of each prose-corpus source: its most distinctive writing tag (simplewiki is tagged "encyclopedic, simple English" in training; "simple English" is what sets it apart). */
export const PROSE_SOURCE_LABEL: Readonly<Record<string, string>> = {
  enwiki: 'encyclopedic',
  enwiki_recent: 'encyclopedic',
  simplewiki: 'simple English',
  onestopenglish: 'simple English',
  wikinews: 'news',
  gutenberg: 'fiction',
};

/** The label of the Python documentation (a registry corpus, not in the prose corpus). */
export const PYTHON_DOC_LABEL = 'technical documentation';

/** Gutenberg titles that training tags "essay" rather than "fiction" (corpus.py's non-fiction title rule). */
const NONFICTION_TITLE =
  /\b(essays?|history|letters|lectures?|sermons?|treatise|principles|memoirs?|autobiography|journal|notes|travels?|philosophy|science|problems)\b/i;

/** The label of a prose-corpus document, or undefined when training gives it no tag among the labels. */
export function proseLabel(source: string, title: string): string | undefined {
  if (source === 'gutenberg' && NONFICTION_TITLE.test(title)) return undefined;
  return PROSE_SOURCE_LABEL[source];
}

/** The hash of training's split_of: the first 32 bits of SHA-256 of the id, as a fraction of 0xFFFFFFFF. */
export function splitHash(id: string): number {
  return parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) / 0xffffffff;
}

/**
 * Whether a registry document (id "python-doc/<path under _sources>") is held out of training: split_of puts it in
 * the test split (hash < 0.04) or the validation split (hash < 0.08); both are never trained on.
 */
export function isHeldOutRegistryDoc(id: string): boolean {
  return splitHash(id) < 0.08;
}

const wordCount = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/**
 * Chunks of `minWords`–`maxWords` words made of whole paragraphs (blank-line separated). A paragraph longer than
 * `maxWords` is cut at sentence ends first. Runs that cannot reach `minWords` before overflowing are dropped.
 */
export function paragraphChunks(text: string, minWords = 150, maxWords = 200): string[] {
  const units: string[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const p = para.trim();
    if (!p) continue;
    if (wordCount(p) <= maxWords) units.push(p);
    // Sentence pieces of an over-long paragraph, joined back with spaces by the chunker's separator below.
    else for (const s of p.split(/(?<=[.!?]["'”’)]?)\s+(?=[A-Z"“(])/)) units.push(s.trim());
  }
  const chunks: string[] = [];
  let buf: string[] = [];
  let words = 0;
  for (const u of units) {
    const w = wordCount(u);
    if (words + w > maxWords) {
      if (words >= minWords) chunks.push(buf.join('\n\n'));
      buf = [];
      words = 0;
    }
    if (w > maxWords) continue; // a single sentence over the limit: no chunk can hold it
    buf.push(u);
    words += w;
  }
  if (words >= minWords) chunks.push(buf.join('\n\n'));
  return chunks;
}

/** Inline reStructuredText markup reduced to its text: roles, links, literals, emphasis. */
function rstInline(s: string): string {
  return s
    .replace(/:[\w:.-]+:`!?~?([^`<]*?)\s*(?:<[^>]*>)?`/g, '$1')
    .replace(/`([^`<]+?)\s*<[^>]+>`_{1,2}/g, '$1')
    .replace(/``([^`]+)``/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*]+)\*/g, '$1')
    .replace(/`([^`]+)`_{0,2}/g, '$1');
}

const ADORNMENT = /^([=\-~^"'*+#`:.])\1{2,}\s*$/;

/**
 * The prose of a reStructuredText source: paragraphs of running text, without headings, directives and their
 * bodies, literal blocks, doctests and tables. Paragraphs under 8 words or with few letters are left out, as in
 * training's documentation reader, so the text looks like what the model was shown.
 */
export function rstProse(raw: string): string {
  const lines = raw.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  let skipDeeperThan: number | undefined; // indentation of a directive or `::` line whose indented body is skipped
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const body = line.trimStart();
    const indent = line.length - body.length;
    if (skipDeeperThan !== undefined) {
      if (body && indent <= skipDeeperThan) skipDeeperThan = undefined;
      else continue;
    }
    if (!body) {
      kept.push('');
      continue;
    }
    if (ADORNMENT.test(line)) continue;
    const next = (lines[i + 1] ?? '').trimEnd();
    if (ADORNMENT.test(next) && next.trim().length >= body.length - 1) {
      kept.push('');
      i++; // a heading: its underline goes with it
      continue;
    }
    if (body === '..' || body.startsWith('.. ')) {
      skipDeeperThan = indent;
      continue;
    }
    if (/^(\||\+[-=]|>>>|\.\.\.|\$ |# )/.test(body) || /^[=\s]+$/.test(body)) continue;
    if (body.endsWith('::')) {
      const lead = body.slice(0, -2).trimEnd();
      if (lead) kept.push(rstInline(lead + ':'));
      skipDeeperThan = indent;
      continue;
    }
    kept.push(rstInline(body));
  }
  const letterShare = (p: string) => [...p].filter((c) => /[\p{L} ]/u.test(c)).length / p.length;
  return kept
    .join('\n')
    .split(/\n\s*\n/)
    .map((p) => p.split(/\s+/).filter(Boolean).join(' '))
    .filter((p) => wordCount(p) >= 8 && letterShare(p) > 0.82)
    .join('\n\n');
}

/** One chunk of held-out text that may enter the test set. */
export interface TagTestCandidate {
  /** "<document id>#<chunk index>". */
  id: string;
  /** Corpus source key ("enwiki", "python-doc", ...). */
  source: string;
  /** Document id (chunks of one document share it). */
  doc: string;
  /** The true label: one writing tag. */
  label: string;
  text: string;
}

/** What {@link balancedTagTestSet} drew. */
export interface TagTestSet {
  /** Exactly `perLabel` texts for each label in `labels`, labels interleaved. */
  texts: TagTestCandidate[];
  /** Labels with enough candidates, sorted. */
  labels: string[];
  /** Labels left out because they had fewer than `perLabel` candidates, with how many they had. */
  tooSmall: { label: string; available: number }[];
}

/** Round-robin over groups taken in key order: one item from each group in turn until all are empty. */
function roundRobin<T>(groups: Map<string, T[]>): T[] {
  const lists = [...groups.keys()].sort().map((k) => [...groups.get(k)!]);
  const out: T[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) for (const l of lists) if (i < l.length) out.push(l[i]);
  return out;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

/**
 * A balanced test set: `perLabel` chunks for each label that has that many. Deterministic and independent of the
 * candidates' order: within a label, sources take turns; within a source, documents take turns in hash order;
 * within a document, chunks are taken in hash order (so no one book or article dominates a label).
 */
export function balancedTagTestSet(candidates: TagTestCandidate[], perLabel: number): TagTestSet {
  const byHash = (a: TagTestCandidate, b: TagTestCandidate) => splitHash(a.id) - splitHash(b.id) || (a.id < b.id ? -1 : 1);
  const picked = new Map<string, TagTestCandidate[]>();
  const tooSmall: TagTestSet['tooSmall'] = [];
  for (const [label, ofLabel] of [...groupBy(candidates, (c) => c.label)].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (ofLabel.length < perLabel) {
      tooSmall.push({ label, available: ofLabel.length });
      continue;
    }
    const bySource = new Map<string, TagTestCandidate[]>();
    for (const [source, ofSource] of groupBy(ofLabel, (c) => c.source)) {
      // Documents in hash order (keys are prefixed by their hash rank so roundRobin's key sort keeps it).
      const docs = [...groupBy(ofSource, (c) => c.doc)].sort((a, b) => splitHash(a[0]) - splitHash(b[0]) || (a[0] < b[0] ? -1 : 1));
      const ranked = new Map(docs.map(([, chunks], k) => [String(k).padStart(8, '0'), chunks.sort(byHash)]));
      bySource.set(source, roundRobin(ranked));
    }
    picked.set(label, roundRobin(bySource).slice(0, perLabel));
  }
  const labels = [...picked.keys()].sort();
  return { texts: roundRobin(picked), labels, tooSmall };
}

/**
 * Scoring rows for zero-shot classification: one row per candidate header, each BOS + header + the same text
 * tokens, all in one window. The text is cut to what fits after the LONGEST header, so every candidate is scored
 * on exactly the same tokens (a longer tag name must not mean fewer, or easier, tokens scored).
 */
export function sameTokenRows(bosId: number, headers: number[][], textIds: number[], maxPositions: number): { rows: ScoringRow[]; textIds: number[] } {
  const room = maxPositions - 1 - Math.max(...headers.map((h) => h.length));
  if (room < 1) throw new Error(`the longest tag header leaves no room for text in a window of ${maxPositions}`);
  const ids = textIds.slice(0, room);
  const rows = headers.map((h, seq) => {
    const head = [bosId, ...h];
    return { seq, ids: [...head, ...ids], first: head.length, seqOffset: 0 };
  });
  return { rows, textIds: ids };
}
