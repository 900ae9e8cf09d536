/** Conversions between compact block scores and the engine's score objects. */
import type { TextScore, TokenScore } from '../engine';
import type { BlockScore } from './blockScore';

const LN2 = Math.LN2;

/** A TextScore view of a block's scores, as the span finder expects. */
export function toTextScore(text: string, s: BlockScore): TextScore {
  const tokens: TokenScore[] = [];
  let nll = 0;
  for (let i = 0; i < s.bits.length; i++) {
    const bits = s.bits[i];
    const top = [];
    for (let j = 0; j < s.topK; j++) {
      const id = s.topIds[i * s.topK + j];
      if (id >= 0) top.push({ id, prob: s.topProbs[i * s.topK + j], token: s.vocab[id] ?? '' });
    }
    nll += bits * LN2;
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
  const n = tokens.length;
  const words = (text.match(/\S+/g) ?? []).length;
  const bytes = Buffer.byteLength(text, 'utf8');
  return {
    text,
    tokens,
    nll,
    tokenCount: n,
    perplexity: n ? Math.exp(nll / n) : NaN,
    bytes,
    words,
    bitsPerByte: bytes ? nll / LN2 / bytes : NaN,
    wordPerplexity: words ? Math.exp(nll / words) : NaN,
    exactOffsets: true,
  };
}
