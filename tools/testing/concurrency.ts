/**
 * For tests that start work in several places at once and hold it open (a handler that blocks until the test
 * lets it finish), so that "running at the same time" is observed without timing.
 */

/** Waits, boundedly, for what concurrent work does on its own: return, or reach a point the test can see. */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise whose settling the test can wait for alongside other conditions. */
export function watch<T>(promise: Promise<T>): { promise: Promise<T>; returned: boolean } {
  const watched = { promise, returned: false };
  void promise.then(
    () => (watched.returned = true),
    () => (watched.returned = true),
  );
  return watched;
}
