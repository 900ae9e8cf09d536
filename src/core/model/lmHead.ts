/** The tied LM-head matrix of project models (lm_head.json + lm_head.bin). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile } from './config';
import { FeatureUnavailableError, ModelLoadError } from '../errors';
import type { EngineInfo } from './types';

/** The LM-head matrix, row-major [vocab, dim]. */
export interface LmHead {
  weights: Float32Array;
  vocab: number;
  dim: number;
}

/**
 * Reads the tied LM-head matrix [vocab, dim] from lm_head.bin (project models only). Throws FeatureUnavailableError
 * for third-party models, which lack it.
 */
export function readLmHead(info: EngineInfo): LmHead {
  if (!info.hasLmHead)
    throw new FeatureUnavailableError(
      'lm_head',
      `this model (${info.modelDir}) has no lm_head.json/lm_head.bin, which only project models exported by training/ have; ` +
        'features that need LM-head weights are unavailable, but scoring, ranking and linting work',
    );
  const header = readJsonFile<{ dtype: string; shape: [number, number] }>(
    join(info.modelDir, 'lm_head.json'),
    'lm_head.json',
  );
  if (header.dtype !== 'float32' || !Array.isArray(header.shape) || header.shape.length !== 2)
    throw new ModelLoadError(`lm_head.json must say dtype float32 and a 2-D shape`, 'MODEL_CORRUPT_FILE');
  const [vocab, dim] = header.shape;
  const buf = readFileSync(join(info.modelDir, 'lm_head.bin'));
  if (buf.length !== vocab * dim * 4)
    throw new ModelLoadError(
      `lm_head.bin has ${buf.length} bytes but lm_head.json's shape [${vocab}, ${dim}] needs ${vocab * dim * 4}`,
      'MODEL_CORRUPT_FILE',
    );
  const weights = new Float32Array(vocab * dim);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < weights.length; i++) weights[i] = dv.getFloat32(i * 4, true);
  return { weights, vocab, dim };
}
