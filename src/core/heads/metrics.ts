/**
 * Metrics of discriminator heads: accuracy, macro-F1, AUROC (Mann-Whitney), the majority-class baseline, and the
 * expected calibration error of a binary head's probabilities.
 */
export interface ClassMetrics {
  n: number;
  accuracy: number;
  macro_f1: number;
  /** Binary: AUROC of p(positive class); more classes: macro one-vs-rest AUROC. */
  auroc: number;
  per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  /** [true][predicted] counts. */
  confusion: number[][];
  majority_baseline: { class: string; accuracy: number; macro_f1: number };
}

/** AUROC of scores for positives vs negatives (Mann-Whitney U, ties count one half). NaN if a side is empty. */
export function auroc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[idx[k]]) {
      rankSumPos += avgRank;
      nPos++;
    }
    i = j + 1;
  }
  const nNeg = idx.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

function macroF1Of(confusion: number[][]): { macro: number; per: { precision: number; recall: number; f1: number; support: number }[] } {
  const C = confusion.length;
  const per = [];
  for (let c = 0; c < C; c++) {
    const tp = confusion[c][c];
    let predC = 0;
    let trueC = 0;
    for (let k = 0; k < C; k++) {
      predC += confusion[k][c];
      trueC += confusion[c][k];
    }
    const precision = predC ? tp / predC : 0;
    const recall = trueC ? tp / trueC : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per.push({ precision, recall, f1, support: trueC });
  }
  const present = per.filter((p) => p.support > 0);
  return { macro: present.reduce((a, p) => a + p.f1, 0) / Math.max(1, present.length), per };
}

/** Accuracy, macro-F1, AUROC, per-class scores and the majority-class baseline. */
export function classificationMetrics(probs: ArrayLike<number>[], labels: number[], classNames: string[], positive?: number): ClassMetrics {
  const C = classNames.length;
  const n = labels.length;
  const confusion = classNames.map(() => new Array<number>(C).fill(0));
  let correct = 0;
  probs.forEach((p, i) => {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[c] > p[best]) best = c;
    confusion[labels[i]][best]++;
    if (best === labels[i]) correct++;
  });
  const { macro, per } = macroF1Of(confusion);
  let au: number;
  if (C === 2) {
    const pos = positive ?? 1;
    au = auroc(probs.map((p) => p[pos]), labels.map((l) => l === pos));
  } else {
    const aus = classNames.map((_, c) => auroc(probs.map((p) => p[c]), labels.map((l) => l === c))).filter((x) => !Number.isNaN(x));
    au = aus.reduce((a, b) => a + b, 0) / Math.max(1, aus.length);
  }
  const counts = classNames.map((_, c) => labels.filter((l) => l === c).length);
  const maj = counts.indexOf(Math.max(...counts));
  const majConf = classNames.map((_, t) => classNames.map((__, p) => (p === maj ? counts[t] : 0)));
  const perClass: ClassMetrics['per_class'] = {};
  classNames.forEach((name, c) => (perClass[name] = per[c]));
  return {
    n,
    accuracy: n ? correct / n : NaN,
    macro_f1: macro,
    auroc: au,
    per_class: perClass,
    confusion,
    majority_baseline: { class: classNames[maj], accuracy: n ? counts[maj] / n : NaN, macro_f1: macroF1Of(majConf).macro },
  };
}

/** Share of probabilities at or above the threshold (0 for none). */
export function flaggedShare(p: ArrayLike<number>, threshold: number): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) if (p[i] >= threshold) n++;
  return p.length ? n / p.length : 0;
}

/** Macro-F1 of binary decisions `p >= threshold` against labels (1 positive); classes absent from labels are left out. */
export function binaryMacroF1(p: ArrayLike<number>, y: ArrayLike<number>, threshold: number): number {
  const confusion = [
    [0, 0],
    [0, 0],
  ];
  for (let i = 0; i < y.length; i++) confusion[y[i]][p[i] >= threshold ? 1 : 0]++;
  return macroF1Of(confusion).macro;
}

/**
 * Expected calibration error: the mean |accuracy - confidence| over 10 equal-width bins of p(positive), weighted by
 * the bins' counts (p = 0.9 should mean about 90% positives).
 */
export function expectedCalibrationError(p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): number {
  const n = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i] * bins));
    n[b]++;
    sumP[b] += p[i];
    sumY[b] += y[i];
  }
  let e = 0;
  for (let b = 0; b < bins; b++) if (n[b]) e += Math.abs(sumY[b] - sumP[b]);
  return p.length ? e / p.length : NaN;
}
