/** SARIF 2.1.0 output of `plausibility lint`. */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECKS } from '../core/lint/registry';
import type { FileResult } from './lintResult';

/** The display name lint uses for standard input. */
export const STDIN_NAME = '<stdin>';

const RULES: Record<string, string> = Object.fromEntries(CHECKS.map((c) => [c.id, c.description]));

/**
 * A file path as a SARIF artifact URI: absolute paths become file: URIs, relative ones a relative reference with
 * every segment percent-encoded (so spaces, `#`, `%` and a `:` that would read as a scheme survive). Standard input
 * has no path; its display name is encoded like any other segment.
 */
export function artifactUri(path: string): string {
  const posix = path.split('\\').join('/');
  if (path !== STDIN_NAME && isAbsolute(path)) return pathToFileURL(path).href;
  return posix
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** Converts results to a SARIF 2.1.0 log; every input file is listed in `artifacts`, and results point at it by index. */
export function toSarif(results: FileResult[], modelDir: string, version: string): unknown {
  const uris = results.map((r) => artifactUri(r.path));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'plausibility',
            version,
            informationUri: 'https://github.com/plausibility/plausibility',
            rules: Object.entries(RULES).map(([id, text]) => ({
              id,
              shortDescription: { text },
              defaultConfiguration: { level: 'warning' },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        properties: { model: modelDir },
        artifacts: results.map((r, i) => ({
          location: { uri: uris[i] },
          ...(r.path === STDIN_NAME ? { description: { text: 'standard input' } } : {}),
        })),
        results: results.flatMap((r, i) =>
          r.findings.map((f) => ({
            ruleId: f.rule,
            level: f.severity === 'warning' ? 'warning' : 'note',
            message: { text: f.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: uris[i], index: i },
                  region: {
                    startLine: f.line,
                    startColumn: f.column,
                    endLine: f.endLine,
                    endColumn: f.endColumn,
                    charOffset: f.start,
                    charLength: f.end - f.start,
                    snippet: { text: f.text },
                  },
                },
              },
            ],
            properties: { replacement: f.replacement, gain_bits: f.gain_bits, suggestions: f.suggestions, bits: f.bits, threshold: f.threshold },
          })),
        ),
        invocations: [
          {
            executionSuccessful: !results.some((r) => r.error),
            toolExecutionNotifications: results
              .filter((r) => r.error || r.skipped)
              .map((r) => ({
                level: r.error ? 'error' : 'note',
                message: { text: `${r.path}: ${r.error ?? r.skipped}` },
              })),
          },
        ],
      },
    ],
  };
}
