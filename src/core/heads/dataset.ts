/**
 * Labelled text data for discriminator heads: CSV (RFC 4180 quoting, header row) or JSONL (one object per line),
 * read strictly. CSV is streamed through csv-parse as latin1 (byte-transparent; quotes, commas and newlines are
 * ASCII), so a row with invalid UTF-8 is found and reported by its line number instead of being silently decoded
 * with U+FFFD, and a record over a size cap stops the read with a clear error before it costs memory.
 *
 * The split is deterministic and independent of any seed: data row i (0-based, header excluded) goes to
 * `train` when i mod 10 is 0..7, to `tune` when it is 8 and to `test` (held out, reported only) when it is 9.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse';
import { extname } from 'node:path';
import { InputError } from '../errors';

/** One labelled example. */
export interface LabeledRow {
  /** 0-based data row index (header excluded); decides the split. */
  index: number;
  /** 1-based line of the file where the row starts. */
  line: number;
  text: string;
  /** The raw label as written in the file (numbers are stringified). */
  label: string;
}

export type Split = 'train' | 'tune' | 'test';

/** The split of data row `index` (row index mod 10: 0-7 train, 8 tune, 9 test). */
export function splitOf(index: number): Split {
  const m = index % 10;
  return m === 9 ? 'test' : m === 8 ? 'tune' : 'train';
}

export interface ReadOptions {
  textCol: string;
  labelCol: string;
  /** `csv` or `jsonl`; default from the extension (.jsonl/.ndjson/.json = jsonl, otherwise csv). */
  format?: 'csv' | 'jsonl';
  /** Rows whose text is longer than this many bytes are skipped with a warning (default 20,000). */
  maxRowBytes?: number;
  /** JSONL files larger than this are refused (default 512 MB; CSV is streamed). */
  maxFileBytes?: number;
  /** Warnings (skipped rows). */
  warn?: (message: string) => void;
}

export interface ReadResult {
  rows: LabeledRow[];
  /** Rows skipped, by reason, with the first few line numbers. */
  skipped: { reason: string; count: number; lines: number[] }[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function skipper(): { add(reason: string, line: number): void; list: ReadResult['skipped'] } {
  const list: ReadResult['skipped'] = [];
  return {
    list,
    add(reason, line) {
      let e = list.find((s) => s.reason === reason);
      if (!e) list.push((e = { reason, count: 0, lines: [] }));
      e.count++;
      if (e.lines.length < 5) e.lines.push(line);
    },
  };
}

function decodeField(b: Uint8Array): string | undefined {
  try {
    return UTF8.decode(b);
  } catch {
    return undefined;
  }
}

/**
 * Reads a labelled data file. Throws {@link InputError} with a clear message for a missing or empty file, a missing
 * column, a CSV record over the size cap, or a file without a single usable row; rows with invalid UTF-8, a missing
 * value or an oversized text are skipped and reported through `warn` (with line numbers).
 */
export async function readLabeledFile(path: string, opts: ReadOptions): Promise<ReadResult> {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new InputError(`no such data file: ${path}`, 'ENOENT');
  }
  const ext = extname(path).toLowerCase();
  const format = opts.format ?? (ext === '.jsonl' || ext === '.ndjson' || ext === '.json' ? 'jsonl' : 'csv');
  let res: ReadResult;
  if (format === 'jsonl') {
    const maxFile = opts.maxFileBytes ?? 512 * 1024 * 1024;
    if (size > maxFile) throw new InputError(`${path} is ${size} bytes, over the limit of ${maxFile}`, 'TOO_LARGE');
    const buf = readFileSync(path);
    if (isBlank(buf)) throw emptyFile(path);
    res = readJsonl(buf, path, opts);
  } else res = await readCsv(path, opts);
  for (const s of res.skipped)
    opts.warn?.(`skipped ${s.count} row(s) with ${s.reason} (line${s.lines.length > 1 ? 's' : ''} ${s.lines.join(', ')}${s.count > s.lines.length ? ', ...' : ''})`);
  if (res.rows.length === 0) throw new InputError(`${path} has no usable rows (every row was skipped)`, 'EMPTY_INPUT');
  return res;
}

function isBlank(buf: Uint8Array): boolean {
  return buf.every((c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
}

function emptyFile(path: string): InputError {
  return new InputError(`${path} is empty: a data file needs rows with a text and a label`, 'EMPTY_INPUT');
}

/** Bytes of a latin1-decoded field (latin1 maps bytes 1:1 to code units). */
function latin1Bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** The cap on one CSV record: enough for any text the reader keeps, so skipping oversized texts stays cheap. */
export function csvRecordCap(maxRowBytes: number): number {
  return Math.max(1 << 20, 4 * maxRowBytes);
}

async function readCsv(path: string, opts: ReadOptions): Promise<ReadResult> {
  const maxRow = opts.maxRowBytes ?? 20000;
  const cap = csvRecordCap(maxRow);
  const parser = createReadStream(path).pipe(
    parseCsv({
      encoding: 'latin1',
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      max_record_size: cap,
      info: true,
      raw: true,
    }),
  );
  const sk = skipper();
  const rows: LabeledRow[] = [];
  let ti = -1;
  let li = -1;
  let index = -1;
  let sawData = false;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      const fields = rec.record;
      // info.lines is the record's last line; count the line breaks inside it to get its first.
      const inner = rec.raw.replace(/^[\r\n]+|[\r\n]+$/g, '').match(/\r\n|\n|\r/g)?.length ?? 0;
      const line = rec.info.lines - inner;
      if (index < 0) {
        const header = fields.map((f) => (decodeField(latin1Bytes(f)) ?? '').trim());
        if (header.every((h) => h === '')) continue;
        index = 0;
        ti = header.indexOf(opts.textCol);
        li = header.indexOf(opts.labelCol);
        const missing = [ti < 0 ? opts.textCol : '', li < 0 ? opts.labelCol : ''].filter(Boolean);
        if (missing.length)
          throw new InputError(
            `${path}: no column ${missing.map((m) => `"${m}"`).join(' or ')} in the header (columns: ${header.map((h) => JSON.stringify(h)).join(', ')})`,
            'MISSING_COLUMN',
          );
        continue;
      }
      sawData = true;
      const idx = index++;
      if (fields.length <= Math.max(ti, li)) {
        sk.add('too few fields', line);
        continue;
      }
      const textBytes = latin1Bytes(fields[ti]);
      if (textBytes.length > maxRow) {
        sk.add(`a text over ${maxRow} bytes`, line);
        continue;
      }
      const text = decodeField(textBytes);
      const label = decodeField(latin1Bytes(fields[li]));
      if (text === undefined || label === undefined) {
        sk.add('invalid UTF-8', line);
        continue;
      }
      if (label.trim() === '') {
        sk.add('an empty label', line);
        continue;
      }
      rows.push({ index: idx, line, text, label: label.trim() });
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    if (err.code === 'CSV_MAX_RECORD_SIZE')
      throw new InputError(
        `${path}: the record ending near line ${err.lines ?? '?'} is over ${cap} bytes; the file is refused ` +
          '(texts over --max-row-bytes are skipped, but a single record this large is not read at all)',
        'TOO_LARGE',
      );
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') throw new InputError(`${path}: unterminated quoted field (${err.message})`, 'BAD_INPUT');
    throw new InputError(`${path}: cannot parse CSV: ${err.message}`, 'BAD_INPUT');
  }
  if (index < 0 || ti < 0) throw emptyFile(path);
  if (!sawData) throw new InputError(`${path} has a header but no data rows`, 'EMPTY_INPUT');
  return { rows, skipped: sk.list };
}

function readJsonl(buf: Uint8Array, path: string, opts: ReadOptions): ReadResult {
  const maxRow = opts.maxRowBytes ?? 20000;
  const sk = skipper();
  const rows: LabeledRow[] = [];
  let start = 0;
  let line = 0;
  let index = 0;
  let sawText = false;
  let sawLabel = false;
  let objects = 0;
  const lineCap = maxRow * 6 + 4096; // JSON escaping can inflate a text up to 6x
  while (start <= buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end < 0) end = buf.length;
    line++;
    const raw = buf.subarray(start, end);
    start = end + 1;
    if (raw.every((c) => c === 0x20 || c === 0x0d || c === 0x09)) {
      if (end >= buf.length) break;
      continue;
    }
    const idx = index++;
    if (raw.length > lineCap) {
      sk.add(`a line over ${lineCap} bytes`, line);
      continue;
    }
    const s = decodeField(raw);
    if (s === undefined) {
      sk.add('invalid UTF-8', line);
      continue;
    }
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch {
      sk.add('invalid JSON', line);
      continue;
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      sk.add('a line that is not a JSON object', line);
      continue;
    }
    objects++;
    const rec = o as Record<string, unknown>;
    if (opts.textCol in rec) sawText = true;
    if (opts.labelCol in rec) sawLabel = true;
    const t = rec[opts.textCol];
    const l = rec[opts.labelCol];
    if (typeof t !== 'string' || (typeof l !== 'string' && typeof l !== 'number' && typeof l !== 'boolean')) {
      sk.add(`no string "${opts.textCol}" or no scalar "${opts.labelCol}"`, line);
      continue;
    }
    if (Buffer.byteLength(t) > maxRow) {
      sk.add(`a text over ${maxRow} bytes`, line);
      continue;
    }
    const label = String(l).trim();
    if (!label) {
      sk.add('an empty label', line);
      continue;
    }
    rows.push({ index: idx, line, text: t, label });
    if (end >= buf.length) break;
  }
  if (objects > 0 && (!sawText || !sawLabel)) {
    const missing = [!sawText ? opts.textCol : '', !sawLabel ? opts.labelCol : ''].filter(Boolean);
    throw new InputError(`${path}: no record has the field ${missing.map((m) => `"${m}"`).join(' or ')}`, 'MISSING_COLUMN');
  }
  return { rows, skipped: sk.list };
}

/**
 * Parses a label map such as `0=toxic,1=toxic,2=non-toxic` (raw label -> class name). Throws on malformed input.
 */
export function parseLabelMap(spec: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1)
      throw new InputError(`--label-map entries look like RAW=CLASS (got "${p}")`, 'USAGE');
    map[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  if (Object.keys(map).length === 0) throw new InputError('--label-map is empty', 'USAGE');
  return map;
}
