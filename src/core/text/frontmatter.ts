/**
 * Markdown front matter: the tags (and synopsis) a document declares for tag-conditioned scoring.
 *
 * ```md
 * ---
 * tags: [fiction, mystery]            # or: tags: fiction, mystery   or a block list
 * plausibility:
 *   tags: [news]                      # overrides the top-level tags
 *   synopsis: A short summary.
 * ---
 * ```
 *
 * `plausibility: { tags: [...], synopsis: ... }` (flow style) works too. The parser reads the YAML subset front
 * matter uses (block mappings and sequences, flow `[...]`/`{...}`, quoted and plain scalars, `|`/`>` block
 * scalars, comments). Anything it cannot read is a {@link FrontMatterError} with the line number: callers show it and
 * lint the document without conditioning.
 */
import { BlockParser, FrontMatterError, Line, stripComment, YamlValue } from './frontMatterYaml';

export { FrontMatterError, splitKey, type YamlValue } from './frontMatterYaml';

export interface FrontMatter {
  /** [start, end) of the whole block, fences included. */
  start: number;
  end: number;
  /** The parsed mapping. */
  data: { [k: string]: YamlValue };
}

export interface DeclaredCondition {
  tags: string[];
  synopsis?: string;
  /** Where they came from. */
  source: 'front-matter';
}

/**
 * Finds and parses the front matter at the start of a document. Returns undefined when there is none; throws
 * {@link FrontMatterError} (with the line) when it is malformed.
 */
export function parseFrontMatter(text: string): FrontMatter | undefined {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const off = text.length - body.length;
  const raw = body.split('\n').map((l) => l.replace(/\r$/, ''));
  if (raw.length < 2 || raw[0].trim() !== '---') return undefined;
  let close = -1;
  for (let j = 1; j < raw.length; j++) {
    const t = raw[j].trim();
    if (t === '---' || t === '...') {
      close = j;
      break;
    }
  }
  if (close < 0) throw new FrontMatterError('the front matter starts with "---" but has no closing "---"', 1);
  const lines: Line[] = [];
  for (let j = 1; j < close; j++) {
    const r = raw[j];
    if (/^\t/.test(r) || /^ *\t/.test(r)) throw new FrontMatterError('tabs are not allowed for indentation in YAML', j + 1);
    const noComment = stripComment(r).trimEnd();
    if (noComment.trim() === '') continue;
    const indent = noComment.length - noComment.trimStart().length;
    lines.push({ n: j + 1, indent, text: noComment.trim() });
  }
  const data = new BlockParser(lines, raw.slice(1, close), 2).parse();
  let end = off;
  for (let j = 0; j <= close; j++) end += raw[j].length + 1;
  // Account for \r\n line ends.
  const endIdx = nthLineEnd(text, close + 1);
  return { start: 0, end: Math.min(text.length, endIdx ?? end), data };
}

function nthLineEnd(text: string, n: number): number | undefined {
  let pos = 0;
  for (let k = 0; k < n; k++) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return text.length;
    pos = nl + 1;
  }
  return pos;
}

function toTags(v: YamlValue, line: string): string[] {
  if (v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) {
    const out: string[] = [];
    for (const x of v) {
      if (x === null) continue;
      if (typeof x === 'object') throw new FrontMatterError(`"${line}" must be a list of words, not of lists or mappings`, 2);
      out.push(String(x).trim());
    }
    return out.filter(Boolean);
  }
  if (typeof v === 'object') throw new FrontMatterError(`"${line}" must be a list like [fiction, mystery]`, 2);
  return [String(v)];
}

/**
 * The tags and synopsis declared in a document's front matter: `plausibility.tags`/`plausibility.synopsis` first,
 * else the top-level `tags` (and `synopsis`). Undefined when nothing is declared. Throws FrontMatterError when the
 * front matter is malformed.
 */
export function declaredCondition(text: string): DeclaredCondition | undefined {
  const fm = parseFrontMatter(text);
  if (!fm) return undefined;
  const d = fm.data;
  const p = d['plausibility'];
  let tags: string[] = [];
  let synopsis: string | undefined;
  if (p !== undefined && p !== null) {
    if (typeof p !== 'object' || Array.isArray(p))
      throw new FrontMatterError('"plausibility" must be a mapping, e.g. plausibility: { tags: [news], synopsis: ... }', 2);
    if (p['tags'] !== undefined) tags = toTags(p['tags'], 'plausibility.tags');
    if (typeof p['synopsis'] === 'string') synopsis = p['synopsis'];
  }
  if (tags.length === 0 && d['tags'] !== undefined) tags = toTags(d['tags'], 'tags');
  if (synopsis === undefined && typeof d['synopsis'] === 'string') synopsis = d['synopsis'];
  if (tags.length === 0) return undefined;
  return { tags, synopsis, source: 'front-matter' };
}

/**
 * The tags a document is written in: its front matter's (Markdown only), else `fallback` (the editor's setting).
 * Unreadable front matter falls back too: it is the front-matter check's finding, not a reason to stop.
 */
export function documentCondition(text: string, markdown: boolean, fallback: string[]): { tags: string[]; synopsis?: string } {
  if (markdown) {
    try {
      const d = declaredCondition(text);
      if (d && d.tags.length) return { tags: d.tags, synopsis: d.synopsis };
    } catch (e) {
      if (!(e instanceof FrontMatterError)) throw e;
    }
  }
  return { tags: fallback };
}
