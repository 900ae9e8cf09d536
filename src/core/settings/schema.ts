/**
 * Every `plausibility.*` setting, once: its type, default and range, whether an untrusted workspace may set it, and
 * what a change invalidates. package.json's `contributes.configuration` and `restrictedConfigurations` must agree with
 * this list (a unit test checks them), and the editor decides from it whether a change reloads the model, rescores
 * documents or only republishes their findings.
 */
import { PROVIDER_SETTINGS } from '../model/providerSettings';
import { DEFAULT_LANGUAGES } from '../text/languages';

/** What a change of the setting makes stale. */
export type Invalidates = 'reload' | 'rescore' | 'republish';

export interface SettingSpec {
  type: 'boolean' | 'string' | 'number' | 'array' | 'object' | 'number|null';
  default: unknown;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  /** Untrusted workspaces cannot set it (a path the editor would load, or a limit that guards the editor). */
  restricted?: boolean;
  invalidates: Invalidates;
}

const SEVERITIES = ['error', 'warning', 'information', 'hint'] as const;

export const SETTINGS: Record<string, SettingSpec> = {
  'plausibility.enabled': { type: 'boolean', default: true, invalidates: 'rescore' },
  'plausibility.languages': { type: 'array', default: DEFAULT_LANGUAGES, invalidates: 'rescore' },
  'plausibility.model': { type: 'string', default: 'bundled', restricted: true, invalidates: 'reload' },
  'plausibility.executionProvider': { type: 'string', enum: PROVIDER_SETTINGS, default: 'auto', invalidates: 'reload' },
  'plausibility.precision': { type: 'string', enum: ['fp32', 'fp16', 'quantized'], default: 'fp32', invalidates: 'reload' },
  'plausibility.surprise.enabled': { type: 'boolean', default: false, invalidates: 'rescore' },
  'plausibility.dialect': { type: 'string', enum: ['en-US', 'en-GB'], default: 'en-US', invalidates: 'rescore' },
  'plausibility.threshold': { type: 'number', default: 0, minimum: 0, maximum: 100, invalidates: 'rescore' },
  'plausibility.diagnosticSeverity': { type: 'string', enum: SEVERITIES, default: 'information', invalidates: 'rescore' },
  'plausibility.checkFrequency': { type: 'string', enum: ['edit', 'save', 'manual'], default: 'edit', invalidates: 'republish' },
  'plausibility.debounceMs': { type: 'number', default: 300, minimum: 0, maximum: 10000, invalidates: 'republish' },
  'plausibility.maxFileLength': { type: 'number', default: 200000, minimum: 1, restricted: true, invalidates: 'rescore' },
  'plausibility.heatmap': { type: 'boolean', default: false, invalidates: 'republish' },
  'plausibility.heatmapMode': { type: 'string', enum: ['rank', 'percentile'], default: 'rank', invalidates: 'republish' },
  'plausibility.tags': { type: 'array', default: [], invalidates: 'rescore' },
  'plausibility.offTag.enabled': { type: 'boolean', default: true, invalidates: 'rescore' },
  'plausibility.offTag.severity': { type: 'string', enum: SEVERITIES, default: 'information', invalidates: 'rescore' },
  'plausibility.rewrite.cfgWeight': { type: 'number', default: 1.5, minimum: 0, maximum: 10, invalidates: 'republish' },
  'plausibility.rewrite.maxNllIncrease': { type: 'number', default: 0.5, minimum: 0, maximum: 5, invalidates: 'republish' },
  'plausibility.inlineCompletions.enabled': { type: 'boolean', default: false, invalidates: 'republish' },
  'plausibility.toxicity.enabled': { type: 'boolean', default: false, invalidates: 'rescore' },
  'plausibility.toxicity.threshold': { type: 'number|null', default: null, minimum: 0, maximum: 1, invalidates: 'rescore' },
  'plausibility.toxicity.head': { type: 'string', default: 'toxicity', restricted: true, invalidates: 'rescore' },
  'plausibility.disabledRules': { type: 'array', default: [], invalidates: 'rescore' },
  'plausibility.severity': { type: 'object', default: {}, invalidates: 'rescore' },
};

/**
 * The value of `plausibility.<key>` in a configuration object, checked against its spec: the default when it is
 * missing or has the wrong type or an unknown enum value; numbers are clamped to the range.
 */
export function settingValue(get: (key: string) => unknown, key: string): unknown {
  const spec = SETTINGS[`plausibility.${key}`];
  if (!spec) throw new Error(`unknown setting plausibility.${key}`);
  const v = get(key);
  const clamp = (n: number) => Math.min(spec.maximum ?? Infinity, Math.max(spec.minimum ?? -Infinity, n));
  switch (spec.type) {
    case 'boolean':
      return typeof v === 'boolean' ? v : spec.default;
    case 'string':
      return typeof v === 'string' && (!spec.enum || spec.enum.includes(v)) ? v : spec.default;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? clamp(v) : spec.default;
    case 'number|null':
      return typeof v === 'number' && Number.isFinite(v) ? clamp(v) : spec.default;
    case 'array':
      return Array.isArray(v) ? v : spec.default;
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : spec.default;
  }
}

/** The strongest invalidation between two configuration objects (read with `settingValue`), or undefined. */
export function invalidationBetween(before: (key: string) => unknown, after: (key: string) => unknown): Invalidates | undefined {
  return invalidationOf((full) => {
    const key = full.slice('plausibility.'.length);
    return JSON.stringify(settingValue(before, key)) !== JSON.stringify(settingValue(after, key));
  });
}

/** The strongest invalidation among the settings a change touched (`affects(key)`), or undefined when none. */
export function invalidationOf(affects: (key: string) => boolean): Invalidates | undefined {
  let worst: Invalidates | undefined;
  const rank = { republish: 0, rescore: 1, reload: 2 } as const;
  for (const [key, spec] of Object.entries(SETTINGS)) {
    if (!affects(key)) continue;
    if (worst === undefined || rank[spec.invalidates] > rank[worst]) worst = spec.invalidates;
  }
  return worst;
}
