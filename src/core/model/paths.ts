/** Locating the bundled model. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The bundled model folder, models/default, resolved relative to the package root (the folder holding package.json),
 * searched upwards from `from` (default: this file's folder, i.e. dist/ or src/core/).
 */
export function defaultModelDir(from: string = __dirname): string {
  let dir = resolve(from);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models', 'default');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return resolve(from, '..', 'models', 'default');
}
