import { createLogger } from '@omo/lib/core/logger';
import { Outbox } from '@omo/lib/outbox/outbox';
import { until, watch } from '@omo/tools/testing/concurrency';
import { openTestDatabase, type TestDatabase } from '@omo/tools/testing/database';

/** A drain's `concurrency` (the partner webhooks' outbox runs 4): that many items at once, the next as one ends. */
let db: TestDatabase;
const now = new Date('2026-03-02T01:00:00.000Z');
const started: { key: string; finish: () => void }[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.drop());

it('runs at most `concurrency` items at once, and starts the next when one ends', async () => {
  const outbox = new Outbox(
    db.connection,
    'concurrent',
    { slow: (payload) => new Promise<void>((resolve) => started.push({ key: String(payload.n), finish: resolve })) },
    createLogger('silent'),
    () => now,
    { concurrency: 2 },
  );
  for (const n of [1, 2, 3]) await outbox.enqueue(`item-${n}`, 'slow', { n });
  const drained = watch(outbox.drain());
  await until(() => started.length === 2);
  expect(started.map((s) => s.key).sort()).toEqual(['1', '2']);
  started[0]!.finish();
  await until(() => started.length === 3);
  expect(drained.returned).toBe(false);
  started[1]!.finish();
  started[2]!.finish();
  expect(await drained.promise).toBe(3);
});
