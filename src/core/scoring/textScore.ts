/** Conversions between compact block scores and the engine's score objects. */
import type { TextScore, TokenScore } from '../engine';
import type { BlockScore } from './blockScore';
import { textScoreOf } from './textScores';

const LN2 = Math.LN2;

/** A TextScore view of a block's scores, as the span finder expects. */
export function toTextScore(text: string, s: BlockScore): TextScore {
  const tokens: TokenScore[] = [];
  for (let i = 0; i < s.bits.length; i++) {
    const bits = s.bits[i];
    const top = [];
    for (let j = 0; j < s.topK; j++) {
      const id = s.topIds[i * s.topK + j];
      if (id >= 0) top.push({ id, prob: s.topProbs[i * s.topK + j], token: s.vocab[id] ?? '' });
    }
    tokens.push({
      id: -1,
      text: text.slice(s.starts[i], s.ends[i]),
      start: s.starts[i],
      end: s.ends[i],
      logprob: -bits * LN2,
      nll: bits * LN2,
      bits,
      prob: 2 ** -bits,
      rank: s.ranks[i],
      entropy: s.entropy[i],
      top,
      position: s.positions[i],
      context: s.positions[i],
    });
  }
  return textScoreOf(text, tokens, true);
}
