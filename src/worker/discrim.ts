/**
 * Worker side of the discriminator methods (see discrimProtocol.ts): per-sentence class probabilities, rewrites away
 * from the unwanted class, and head training with progress. Heads are cached per (path, model).
 */
import { ClassifierHead } from '../core/heads/discriminator';
import type { Engine } from '../core/engine';
import { PlausibilityError } from '../core/errors';
import { trainFromFile } from '../core/heads/training';
import { parseLabelMap } from '../core/heads/dataset';
import { rewriteAway } from '../core/generation/headRerank';
import { DISCRIM_METHODS, DiscrimMethods } from './discrimProtocol';

export function isDiscrimMethod(m: string): m is keyof DiscrimMethods {
  return (DISCRIM_METHODS as readonly string[]).includes(m);
}

const MAX_HEADS = 8;
const heads = new Map<string, ClassifierHead>();

function headFor(e: Engine, spec: string): ClassifierHead {
  const key = `${e.info.modelDir}\u0000${spec}`;
  let h = heads.get(key);
  if (!h) {
    h = ClassifierHead.forEngine(e, spec);
    heads.set(key, h);
    // A few heads at most are in use; drop the oldest rather than keep every path ever asked for.
    if (heads.size > MAX_HEADS) heads.delete(heads.keys().next().value as string);
  }
  return h;
}

function towardOf(head: ClassifierHead, toward?: string): string {
  if (toward) return head.classNames[head.classIndex(toward)];
  const u = head.unwantedIndex;
  if (u === undefined || head.classSize !== 2)
    throw new PlausibilityError(`say which class to move toward (classes: ${head.classNames.join(', ')})`, 'USAGE');
  return head.classNames[1 - u];
}

export async function handleDiscrim(
  engine: Engine | undefined,
  method: keyof DiscrimMethods,
  params: unknown,
  isCancelled: () => boolean,
  progress: (message: string) => void,
): Promise<unknown> {
  const e = engine;
  if (!e) throw new PlausibilityError('No model is loaded.', 'NO_MODEL');
  const checkCancelled = () => {
    if (isCancelled()) throw new PlausibilityError('cancelled', 'CANCELLED');
  };
  switch (method) {
    case 'discrimScore': {
      const p = params as DiscrimMethods['discrimScore']['params'];
      const head = headFor(e, p.head);
      const P = await head.classify(e, p.texts, { checkCancelled });
      const u = head.unwantedIndex;
      return {
        classes: head.classNames,
        unwanted: u === undefined ? undefined : head.classNames[u],
        probs: P.map((q) => Array.from(q)),
        headName: head.meta.name,
        threshold: head.decisionThreshold,
      } satisfies DiscrimMethods['discrimScore']['result'];
    }
    case 'discrimRewrite': {
      const p = params as DiscrimMethods['discrimRewrite']['params'];
      const head = headFor(e, p.head);
      const toward = towardOf(head, p.toward);
      const signal = { get aborted() { return isCancelled(); } } as AbortSignal;
      const r = await rewriteAway(e, p.text, p.start, p.end, { head, toward, count: p.count, seed: p.seed, signal });
      return { ...r, toward } satisfies DiscrimMethods['discrimRewrite']['result'];
    }
    case 'discrimTrain': {
      const p = params as DiscrimMethods['discrimTrain']['params'];
      const warnings: string[] = [];
      let last = -1;
      const r = await trainFromFile(
        {
          data: p.data,
          textCol: p.textCol,
          labelCol: p.labelCol,
          out: p.out,
          labelMap: p.labelMap ? parseLabelMap(p.labelMap) : undefined,
          unwanted: p.unwanted,
          name: p.name,
          maxTokens: p.maxTokens,
          maxTrainRows: p.maxTrainRows,
          seed: p.seed,
        },
        async () => e,
        {
          warn: (m) => {
            warnings.push(m);
            progress(`warning: ${m}`);
          },
          progress: (done, total) => {
            const pct = Math.floor((100 * done) / total);
            if (pct !== last) {
              last = pct;
              progress(`embedding ${done}/${total} texts (${pct}%)`);
            }
          },
          checkCancelled,
        },
      );
      // A retrained head replaces any cached one with the same path.
      for (const k of [...heads.keys()]) if (k.endsWith(`\u0000${p.out}`)) heads.delete(k);
      const m = r.testMetrics;
      return {
        out: p.out,
        classes: r.head.classNames,
        rows: r.training.rows,
        accuracy: m.accuracy,
        macroF1: m.macro_f1,
        auroc: m.auroc,
        majorityMacroF1: m.majority_baseline.macro_f1,
        warnings,
        seconds: r.training.seconds,
      } satisfies DiscrimMethods['discrimTrain']['result'];
    }
  }
}
