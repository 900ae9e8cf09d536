/**
 * The extension host's cache of p(unwanted) by head and sentence: bounded, least recently used first out, so that
 * a long session of typing (every edit makes new sentences) cannot grow it without end.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly maxEntries = 5000) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** The value, marking it as recently used. */
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Stores a value, then trims the least recently used entries beyond the bound. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  clear(): void {
    this.map.clear();
  }
}
