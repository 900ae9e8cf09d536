/** Minimal command-line parser: `--flag value`, `--flag=value`, boolean flags, `--` ends options, `-` is positional. */
import { InputError } from '../core/errors';

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

/**
 * Parses argv. `valueFlags` take a value; `boolFlags` do not. Unknown flags are an error (exit code 2).
 */
export function parseArgs(argv: string[], valueFlags: Set<string>, boolFlags: Set<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (valueFlags.has(name)) {
        let v: string | undefined;
        if (eq > 0) v = a.slice(eq + 1);
        else {
          v = argv[i + 1];
          i++;
        }
        // "--out --model m" means a forgotten value, not a file named "--model" (write --out=--model for that).
        if (v === undefined || (eq < 0 && /^--[a-z]/.test(v))) throw new InputError(`option --${name} needs a value`, 'USAGE');
        options.set(name, v);
      } else if (boolFlags.has(name)) {
        if (eq > 0) throw new InputError(`option --${name} takes no value`, 'USAGE');
        options.set(name, true);
      } else throw new InputError(`unknown option --${name} (see plausibility --help)`, 'USAGE');
    } else if (a === '-h') options.set('help', true);
    else if (a === '-v') options.set('verbose', true);
    else positionals.push(a);
  }
  return { positionals, options };
}
