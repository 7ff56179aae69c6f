/**
 * Every open longpoll or continuous feed of the embedded server, so that each one is cancelled when its
 * client goes away or the server closes. express-pouchdb left abandoned continuous feeds running: 200 of
 * them tripled write time and doubled memory (DESIGN.md).
 */
export class LiveFeeds {
  private readonly open = new Set<() => void>();

  /** Registers a feed's cancel function; call the returned function once the feed is over. */
  add(cancel: () => void): () => void {
    this.open.add(cancel);
    return () => {
      this.open.delete(cancel);
    };
  }

  get count(): number {
    return this.open.size;
  }

  cancelAll(): void {
    for (const cancel of [...this.open]) cancel();
    this.open.clear();
  }
}
