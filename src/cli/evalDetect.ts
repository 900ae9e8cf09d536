/** `plausibility eval detect FILE.jsonl`: sentence- and span-level detection on erroneous/corrected pairs. */
import { readFileSync } from 'node:fs';
import { InputError, PlausibilityError } from '../core/errors';
import { detectMetrics, detectPairs, DetectFlags, DetectRecord } from '../core/lint/detectEval';
import { DocumentLinter } from '../core/lint/linter';
import type { Common } from './common';
import { lintSettingsFromFlags } from './lintSettings';

function readRecords(path: string): DetectRecord[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, 'ENOENT');
  }
  const out: DetectRecord[] = [];
  raw.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      throw new InputError(`${path}:${i + 1}: not JSON`, 'BAD_INPUT');
    }
    const rec = r as DetectRecord;
    if (!rec || typeof rec.source !== 'string' || !Array.isArray(rec.references) || !Array.isArray(rec.spans))
      throw new InputError(`${path}:${i + 1}: a record needs source, references and spans`, 'BAD_INPUT');
    out.push(rec);
  });
  return out;
}

export async function cmdEvalDetect(c: Common, file: string | undefined): Promise<number> {
  if (!file) throw new PlausibilityError('usage: plausibility eval detect FILE.jsonl [--format json]', 'USAGE');
  const pairs = detectPairs(readRecords(file));
  if (pairs.length === 0) throw new InputError(`${file}: no record whose source differs from its first reference`, 'BAD_INPUT');
  const settings = lintSettingsFromFlags(c);
  const engine = await c.loadEngine();
  const cpu0 = process.cpuUsage();
  const flags: DetectFlags[] = [];
  // Every sentence is its own document, linted with the default settings.
  const lintOne = async (text: string) => (await new DocumentLinter(engine).lint(text, 'plaintext', settings)).findings.map((f) => ({ start: f.start, end: f.end }));
  for (const [i, rec] of pairs.entries()) {
    flags.push({ source: await lintOne(rec.source), correction: await lintOne(rec.references[0]) });
    if (c.verbose && (i + 1) % 50 === 0) c.out.info(`${i + 1}/${pairs.length} pairs`);
  }
  const cpu = process.cpuUsage(cpu0);
  const m = { ...detectMetrics(pairs, flags), cpu_seconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 };
  if (c.format === 'json') c.out.json(m);
  else for (const [k, v] of Object.entries(m)) c.out.line(`${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`);
  return 0;
}
