/**
 * A record's own value for a key that comes from outside (a word of the text, a setting, a CLI argument): plain
 * indexing would find Object.prototype's members for "constructor" or "toString".
 */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
