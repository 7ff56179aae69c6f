/**
 * Results of reduce queries, kept per database state. PouchDB stores no reduce results: every `group=true`
 * query re-reduces every row (2.6 s at 50k documents, DESIGN.md), where CouchDB answers from its b-tree.
 * A database's state is named by its identity and update_seq, so a result is reused until the next write
 * (design document changes are writes too) and never after the database is re-created. Least recently
 * used results go first; large results are not kept.
 */
export class ViewResultCache {
  private readonly entries = new Map<string, { state: string; body: Buffer }>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries = 500,
    private readonly maxBytesPerEntry = 1_000_000,
  ) {}

  get(key: string, state: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.state !== state) {
      this.misses += 1;
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits += 1;
    return entry.body;
  }

  set(key: string, state: string, body: Buffer): void {
    if (body.length > this.maxBytesPerEntry) return;
    this.entries.delete(key);
    this.entries.set(key, { state, body });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
