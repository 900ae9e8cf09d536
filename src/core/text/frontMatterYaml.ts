/**
 * The YAML subset front matter uses (block mappings and sequences, flow `[...]`/`{...}`, quoted and plain scalars,
 * `|`/`>` block scalars, comments), parsed strictly: anything else is a {@link FrontMatterError} with its line.
 */
import { InputError } from '../errors';

export type YamlValue = string | number | boolean | null | YamlValue[] | { [k: string]: YamlValue };

/** A front-matter syntax error; `line` is 1-based in the document. */
export class FrontMatterError extends InputError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`front matter, line ${line}: ${message}`, 'FRONT_MATTER');
    this.name = 'FrontMatterError';
  }
}

/** A non-blank front-matter line, comment stripped. */
export interface Line {
  n: number; // 1-based line number in the document
  indent: number;
  text: string; // without indentation and trailing comment
}

/** The line without its trailing `# comment`. */
export function stripComment(s: string): string {
  // A # starts a comment at the start or after whitespace, outside quotes.
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === q && !(q === '"' && s[i - 1] === '\\')) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]))) return s.slice(0, i);
  }
  return s;
}

class FlowParser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly line: number,
  ) {}

  fail(msg: string): never {
    throw new FrontMatterError(msg, this.line);
  }
  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  parseAll(): YamlValue {
    const v = this.value(false);
    this.ws();
    if (this.i < this.s.length) this.fail(`unexpected "${this.s.slice(this.i, this.i + 10)}" after the value`);
    return v;
  }
  private value(inFlow: boolean): YamlValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '[') return this.seq();
    if (c === '{') return this.map();
    if (c === '"' || c === "'") return this.quoted();
    return this.plain(inFlow);
  }
  private seq(): YamlValue[] {
    this.i++;
    const out: YamlValue[] = [];
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) this.fail('unterminated list: a "[" has no matching "]"');
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      out.push(this.value(true));
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== ']') this.fail(this.i >= this.s.length ? 'unterminated list: a "[" has no matching "]"' : `expected "," or "]" in a list, found "${this.s[this.i]}"`);
    }
  }
  private map(): { [k: string]: YamlValue } {
    this.i++;
    const out: { [k: string]: YamlValue } = {};
    for (;;) {
      this.ws();
      if (this.i >= this.s.length) this.fail('unterminated mapping: a "{" has no matching "}"');
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      const k = this.s[this.i] === '"' || this.s[this.i] === "'" ? this.quoted() : this.key();
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ":" after the key "${k}"`);
      this.i++;
      setKey(out, String(k), this.value(true));
      this.ws();
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] !== '}') this.fail(this.i >= this.s.length ? 'unterminated mapping: a "{" has no matching "}"' : `expected "," or "}" in a mapping, found "${this.s[this.i]}"`);
    }
  }
  private key(): string {
    const start = this.i;
    while (this.i < this.s.length && !/[:,{}[\]]/.test(this.s[this.i])) this.i++;
    const k = this.s.slice(start, this.i).trim();
    if (!k) this.fail('empty key in a mapping');
    return k;
  }
  private quoted(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length) {
      const c = this.s[this.i++];
      if (c === q) {
        if (q === "'" && this.s[this.i] === "'") {
          out += "'";
          this.i++;
          continue;
        }
        return out;
      }
      if (q === '"' && c === '\\') {
        const e = this.s[this.i++];
        out += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
      } else out += c;
    }
    this.fail(`unterminated string: a ${q} has no closing ${q}`);
  }
  private plain(inFlow: boolean): YamlValue {
    const start = this.i;
    while (this.i < this.s.length && !(inFlow && /[,\]}]/.test(this.s[this.i]))) this.i++;
    return scalar(this.s.slice(start, this.i).trim());
  }
}

function scalar(s: string): YamlValue {
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

function parseInline(s: string, line: number): YamlValue {
  const t = s.trim();
  if (t.startsWith('[') || t.startsWith('{') || t.startsWith('"') || t.startsWith("'")) return new FlowParser(t, line).parseAll();
  if (/^[&*!]/.test(t)) throw new FrontMatterError(`anchors, aliases and tags ("${t[0]}") are not supported`, line);
  return scalar(t);
}

/** Parses block-style YAML (mappings, sequences, block scalars) from indented lines into a mapping. */
export class BlockParser {
  private i = 0;
  constructor(
    private readonly lines: Line[],
    private readonly raw: string[],
    private readonly firstLine: number,
  ) {}

  parse(): { [k: string]: YamlValue } {
    if (this.lines.length === 0) return {};
    if (this.lines[0].indent !== 0) throw new FrontMatterError('the first key must not be indented', this.lines[0].n);
    const v = this.block(0);
    if (this.i < this.lines.length) throw new FrontMatterError('bad indentation', this.lines[this.i].n);
    if (Array.isArray(v) || v === null || typeof v !== 'object')
      throw new FrontMatterError('front matter must be a mapping of keys to values', this.lines[0].n);
    return v;
  }

  private block(indent: number): YamlValue {
    const first = this.lines[this.i];
    if (first.text.startsWith('- ') || first.text === '-') return this.seq(indent);
    return this.map(indent);
  }

  private seq(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.indent < indent) break;
      if (l.indent > indent) throw new FrontMatterError('bad indentation in a list', l.n);
      if (!(l.text.startsWith('- ') || l.text === '-')) break;
      this.i++;
      const rest = l.text.slice(1).trim();
      if (/^[^"'[{][^:]*:(\s|$)/.test(rest)) throw new FrontMatterError('mappings inside lists are not supported here', l.n);
      out.push(this.valueAfter(rest, l, indent));
    }
    return out;
  }

  private map(indent: number): { [k: string]: YamlValue } {
    const out: { [k: string]: YamlValue } = {};
    while (this.i < this.lines.length) {
      const l = this.lines[this.i];
      if (l.indent < indent) break;
      if (l.indent > indent) throw new FrontMatterError('bad indentation: this line is indented more than the key above it', l.n);
      if (l.text.startsWith('- ')) throw new FrontMatterError('a list item where a key was expected', l.n);
      const kv = splitKey(l.text);
      if (!kv) throw new FrontMatterError(`expected "key: value", found "${l.text.slice(0, 40)}"`, l.n);
      // Own keys only: "constructor" or "__proto__" are keys like any other, not inherited members.
      if (Object.prototype.hasOwnProperty.call(out, kv.key)) throw new FrontMatterError(`duplicate key "${kv.key}"`, l.n);
      this.i++;
      setKey(out, kv.key, this.valueAfter(kv.rest, l, indent));
    }
    return out;
  }

  /** The value that follows "key:" or "-" on line l (inline, or a nested block, or a block scalar). */
  private valueAfter(rest: string, l: Line, indent: number): YamlValue {
    const r = rest.trim();
    if (r === '|' || r === '>' || /^[|>][+-]?$/.test(r)) {
      const parts: string[] = [];
      // Block scalar: the raw lines indented deeper than the key.
      let j = l.n - this.firstLine + 1;
      while (j < this.raw.length) {
        const t = this.raw[j];
        const ind = t.length - t.trimStart().length;
        if (t.trim() !== '' && ind <= indent) break;
        parts.push(t.trim());
        j++;
      }
      while (this.i < this.lines.length && this.lines[this.i].n < this.firstLine + j) this.i++;
      return r.startsWith('|') ? parts.join('\n').trim() : parts.join(' ').replace(/\s+/g, ' ').trim();
    }
    if (r === '') {
      const next = this.lines[this.i];
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ') && !l.text.startsWith('-'))))
        return this.block(next.indent);
      return null;
    }
    // A flow collection may continue on the following lines until its brackets balance.
    if (/^[[{]/.test(r)) {
      let s = r;
      while (!balanced(s) && this.i < this.lines.length && this.lines[this.i].indent > indent) {
        s += ' ' + this.lines[this.i].text;
        this.i++;
      }
      return parseInline(s, l.n);
    }
    return parseInline(r, l.n);
  }
}

/** Defines a key as an own property, so `__proto__` is stored as data rather than changing the prototype. */
function setKey(out: { [k: string]: YamlValue }, key: string, value: YamlValue): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';

/**
 * Splits `key: rest` (the key may be quoted; the colon must be followed by whitespace or the end of the line). One
 * pass over the line: a regex with a lazy key and `\s*` before the colon backtracks quadratically on long lines.
 */
export function splitKey(text: string): { key: string; rest: string } | undefined {
  const afterColon = (colon: number): string | undefined => {
    if (text[colon] !== ':') return undefined;
    let r = colon + 1;
    if (r < text.length && !/\s/.test(text[r])) return undefined;
    while (r < text.length && /\s/.test(text[r])) r++;
    return text.slice(r);
  };
  const q = text[0];
  if (q === '"' || q === "'") {
    const close = text.indexOf(q, 1);
    if (close > 0) {
      let c = close + 1;
      while (isSpace(text[c])) c++;
      const rest = afterColon(c);
      if (rest !== undefined) return { key: text.slice(1, close), rest };
    }
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const key = text.slice(0, colon).trimEnd();
  const rest = afterColon(colon);
  if (!key || rest === undefined) return undefined;
  return { key, rest };
}

function balanced(s: string): boolean {
  let depth = 0;
  let q: string | null = null;
  for (const c of s) {
    if (q) {
      if (c === q) q = null;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0;
}
