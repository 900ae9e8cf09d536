/** What every CLI command gets: parsed arguments, output, the model folder and validated numeric options. */
import type { Engine } from '../core/engine';
import type { ParsedArgs } from './args';
import type { Out } from './out';

export interface Common {
  args: ParsedArgs;
  format: 'text' | 'json' | 'sarif';
  verbose: boolean;
  out: Out;
  modelDir: string;
  loadEngine(): Promise<Engine>;
  num(name: string, def?: number): number | undefined;
}
