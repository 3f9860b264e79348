/**
 * Runs tasks with the same key one after another within this process. Not a correctness mechanism (the unique
 * index is, across processes): it spares concurrent writers in one process from racing each other to the database
 * and retrying, which under a burst on one key costs O(n^2) round trips.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
