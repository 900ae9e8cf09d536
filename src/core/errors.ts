/**
 * Error types thrown by the engine. Every error carries a message that is meant to be shown to a user as is
 * (no stack trace needed to understand it).
 */

/** Base class for all errors the engine raises on purpose. `code` is stable and machine-readable. */
export class PlausibilityError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `MODEL_MISSING_FILE`. */
    public readonly code: string,
  ) {
    super(message);
    this.name = 'PlausibilityError';
  }
}

/** The model folder is missing, incomplete, corrupt, or does not have the inputs/outputs the engine needs. */
export class ModelLoadError extends PlausibilityError {
  constructor(message: string, code = 'MODEL_LOAD') {
    super(message, code);
    this.name = 'ModelLoadError';
  }
}

/**
 * A feature needs something this model does not provide (for example `last_hidden_state` or the LM-head weights,
 * which only project models export). Everything else keeps working.
 */
export class FeatureUnavailableError extends PlausibilityError {
  constructor(
    public readonly feature: string,
    message: string,
  ) {
    super(message, 'FEATURE_UNAVAILABLE');
    this.name = 'FeatureUnavailableError';
  }
}

/** Input the engine cannot score (for example a binary file). */
export class InputError extends PlausibilityError {
  constructor(message: string, code = 'INPUT') {
    super(message, code);
    this.name = 'InputError';
  }
}
