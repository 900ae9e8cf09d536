/**
 * Tokenisation with exact UTF-16 offsets.
 *
 * @huggingface/tokenizers returns ids and token strings but no offsets. For byte-level BPE, each token string maps to
 * the exact UTF-8 bytes it covers; concatenating them reproduces the input's UTF-8 bytes. Byte offsets are then mapped
 * to UTF-16 code-unit offsets (the unit VS Code positions use). A boundary that falls inside a multi-byte character is
 * rounded up to the end of that character, so the token holding the character's first byte covers the character and
 * a token made only of continuation bytes gets an empty range [x, x). Taken in order, token ranges tile the input
 * with no gap and no overlap.
 *
 * For tokenizers that are not byte-level (SentencePiece/Metaspace with `<0xNN>` byte fallback, or with a normalizer)
 * the engine aligns token bytes to the input greedily; ranges still tile the input, but may be approximate.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelTokenBytes, byteToUtf16Map, utf8Bytes } from '../text/bytes';

/** A tokenised string: ids (no BOS) with [start, end) UTF-16 offsets into the input. */
export interface Tokenized {
  /** The input text. */
  text: string;
  /** Token ids, without BOS. */
  ids: number[];
  /** Start UTF-16 offset of each token. */
  starts: Int32Array;
  /** End UTF-16 offset of each token (exclusive). `ends[i] === starts[i+1]`. */
  ends: Int32Array;
  /** True when offsets are exact (byte-level tokenizer and the bytes reproduce the input). */
  exact: boolean;
}

/** Wraps a Hugging Face tokenizer.json and adds offsets. */
export class TextTokenizer {
  private readonly inner: Tokenizer;
  private readonly byteLevel: boolean;
  private readonly added: Map<number, string>;
  private readonly idToTokenCache: (string | undefined)[] = [];
  private readonly idBytesCache = new Map<number, Uint8Array>();

  /**
   * @param tokenizerJson parsed tokenizer.json
   * @param tokenizerConfig parsed tokenizer_config.json (may be empty)
   */
  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown> = {}) {
    this.inner = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.byteLevel = JSON.stringify([tokenizerJson['pre_tokenizer'], tokenizerJson['decoder']]).includes('ByteLevel');
    this.added = new Map();
    const addedTokens = tokenizerJson['added_tokens'];
    if (Array.isArray(addedTokens)) {
      for (const t of addedTokens as { id: number; content: string }[]) this.added.set(t.id, t.content);
    }
  }

  /** Whether the tokenizer is byte-level BPE (offsets exact). */
  get isByteLevel(): boolean {
    return this.byteLevel;
  }

  /** Vocabulary size including added tokens. */
  get vocabSize(): number {
    return this.inner.get_vocab(true).size;
  }

  /** Token id of a token string (e.g. `<|endoftext|>`), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  /** Raw token string of an id (byte-level alphabet, e.g. `Ġthe`). */
  idToToken(id: number): string | undefined {
    let t = this.idToTokenCache[id];
    if (t === undefined) {
      t = this.inner.id_to_token(id);
      this.idToTokenCache[id] = t;
    }
    return t;
  }

  /** Encodes text to ids, without special tokens (no BOS/EOS added). */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  /** Decodes ids to text (special tokens skipped). */
  decode(ids: number[]): string {
    return this.inner.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  /** Human-readable text of a single token (its bytes decoded as UTF-8; partial characters become U+FFFD). */
  tokenText(id: number): string {
    return new TextDecoder().decode(this.tokenBytes(id));
  }

  /** The exact UTF-8 bytes a token stands for. */
  tokenBytes(id: number): Uint8Array {
    let b = this.idBytesCache.get(id);
    if (b) return b;
    const added = this.added.get(id);
    const tok = this.idToToken(id) ?? '';
    if (added !== undefined) b = utf8Bytes(added);
    else if (this.byteLevel) {
      const arr = byteLevelTokenBytes(tok);
      b = arr ? Uint8Array.from(arr) : utf8Bytes(tok);
    } else {
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
      b = m ? Uint8Array.of(parseInt(m[1], 16)) : utf8Bytes(tok.replace(/\u2581/g, ' '));
    }
    this.idBytesCache.set(id, b);
    return b;
  }

  /** Tokenises text and derives [start, end) UTF-16 offsets for every token. */
  tokenize(text: string): Tokenized {
    const ids = this.encode(text);
    const { starts, ends, exact } = this.offsets(text, ids);
    return { text, ids, starts, ends, exact };
  }

  /** Derives UTF-16 offsets for `ids`, which must be the tokenisation of `text`. */
  offsets(text: string, ids: number[]): { starts: Int32Array; ends: Int32Array; exact: boolean } {
    const n = ids.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const b2u = byteToUtf16Map(text);
    const nbytes = b2u.length - 1;
    // Byte boundaries.
    const bounds = new Int32Array(n + 1);
    let pos = 0;
    let exact = true;
    for (let i = 0; i < n; i++) {
      pos += this.tokenBytes(ids[i]).length;
      bounds[i + 1] = pos;
    }
    if (pos !== nbytes) exact = false;
    if (exact) {
      // Verify the bytes match (they do for byte-level tokenizers without a normalizer).
      const input = utf8Bytes(text);
      let k = 0;
      outer: for (let i = 0; i < n; i++) {
        const tb = this.tokenBytes(ids[i]);
        for (let j = 0; j < tb.length; j++, k++) {
          if (tb[j] !== input[k]) {
            exact = false;
            break outer;
          }
        }
      }
      if (!exact) this.align(text, ids, bounds);
    } else {
      this.align(text, ids, bounds);
    }
    for (let i = 0; i < n; i++) {
      starts[i] = b2u[bounds[i]];
      ends[i] = i + 1 < n ? b2u[bounds[i + 1]] : text.length;
    }
    return { starts, ends, exact };
  }

  /** Greedy alignment for tokenizers whose bytes do not reproduce the input exactly. Fills `bounds`. */
  private align(text: string, ids: number[], bounds: Int32Array): void {
    const input = utf8Bytes(text);
    const n = ids.length;
    let c = 0;
    bounds[0] = 0;
    for (let i = 0; i < n; i++) {
      const tb = this.tokenBytes(ids[i]);
      let adv = tb.length;
      if (matchesAt(input, c, tb, 0)) adv = tb.length;
      else if (tb.length > 0 && tb[0] === 0x20 && matchesAt(input, c, tb, 1)) adv = tb.length - 1;
      c = Math.min(input.length, c + adv);
      bounds[i + 1] = c;
    }
    bounds[n] = input.length;
  }
}

function matchesAt(input: Uint8Array, at: number, tok: Uint8Array, from: number): boolean {
  if (at + tok.length - from > input.length) return false;
  for (let j = from; j < tok.length; j++) if (input[at + j - from] !== tok[j]) return false;
  return true;
}
