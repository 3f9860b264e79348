import DataLoader from 'dataloader';

/**
 * A per-request DataLoader that dispatches its batch on the next macrotask rather than after the current promise
 * jobs: resolvers of a federated entity list reach their loads across several promise turns, and waiting one
 * event-loop turn collects them into one query however the turns interleave under load.
 */
export function batchLoader<K, V>(load: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader<K, V>(load, { batchScheduleFn: (dispatch) => setImmediate(dispatch) });
}
