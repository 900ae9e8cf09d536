/**
 * Detection metrics on pairs of an erroneous sentence and its correction (the gec-dev README's definitions):
 * sentence-level recall, false-alarm rate, precision and F0.5, and span-level precision, recall and F0.5.
 */
export interface DetectRecord {
  id?: string;
  source: string;
  references: string[];
  spans: { start: number; end: number }[];
}

export interface DetectFlags {
  /** Flag ranges on the source and on the correction (references[0]). */
  source: { start: number; end: number }[];
  correction: { start: number; end: number }[];
}

export interface DetectMetrics {
  sentence_recall: number;
  false_alarm_rate: number;
  sentence_precision: number;
  sentence_f05: number;
  span_precision: number;
  span_recall: number;
  span_f05: number;
  sentences: number;
  pairs: number;
}

function f05(p: number, r: number): number {
  return p + r === 0 ? 0 : (1.25 * p * r) / (0.25 * p + r);
}

/** Records that make a pair: the source differs from its first reference. */
export function detectPairs(records: DetectRecord[]): DetectRecord[] {
  return records.filter((r) => Array.isArray(r.references) && r.references.length > 0 && r.source !== r.references[0]);
}

export function detectMetrics(pairs: DetectRecord[], flags: DetectFlags[]): DetectMetrics {
  const n = pairs.length;
  let flaggedSources = 0;
  let flaggedCorrections = 0;
  let hitFlags = 0;
  let allFlags = 0;
  let hitSpans = 0;
  let allSpans = 0;
  pairs.forEach((rec, i) => {
    const f = flags[i];
    if (f.source.length) flaggedSources++;
    if (f.correction.length) flaggedCorrections++;
    const hits = (a: { start: number; end: number }, b: { start: number; end: number }) => a.start < b.end && b.start < a.end;
    for (const fl of f.source) {
      allFlags++;
      if (rec.spans.some((sp) => hits(fl, sp))) hitFlags++;
    }
    for (const sp of rec.spans) {
      allSpans++;
      if (f.source.some((fl) => hits(fl, sp))) hitSpans++;
    }
  });
  const recall = n ? flaggedSources / n : 0;
  const far = n ? flaggedCorrections / n : 0;
  const precision = flaggedSources + flaggedCorrections ? flaggedSources / (flaggedSources + flaggedCorrections) : 0;
  const spanP = allFlags ? hitFlags / allFlags : 0;
  const spanR = allSpans ? hitSpans / allSpans : 0;
  return {
    sentence_recall: recall,
    false_alarm_rate: far,
    sentence_precision: precision,
    sentence_f05: f05(precision, recall),
    span_precision: spanP,
    span_recall: spanR,
    span_f05: f05(spanP, spanR),
    sentences: 2 * n,
    pairs: n,
  };
}
