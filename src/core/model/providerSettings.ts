/**
 * The execution providers a user may ask for, defined once (settings, the CLI's --provider, the language server).
 * No onnxruntime import: the editor's side reads this list without loading the runtime.
 */
export const PROVIDER_SETTINGS = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderSetting = (typeof PROVIDER_SETTINGS)[number];
