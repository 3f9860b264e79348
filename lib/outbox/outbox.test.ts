import { createLogger } from '@omo/lib/core/logger';
import { Outbox, RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { until, watch } from '@omo/tools/testing/concurrency';
import { openTestDatabase, uniqueDbName, type TestDatabase } from '@omo/tools/testing/database';

/**
 * Several workers (each its own connection, as separate processes would have) share one outbox. Handlers here
 * block until the test lets them finish, so "running at the same time" is observable without timing.
 */
const LEASE_MS = 30_000;

let databases: TestDatabase[] = [];
let now: number;
const clock = () => new Date(now);

interface Run {
  worker: string;
  finish(result?: unknown): void;
  fail(error: Error): void;
}

let runs: Run[];
/** Every `process` a test starts, settled before its database goes. */
let processing: Promise<unknown>[];

function blockingHandler(worker: string): OutboxHandler {
  return () =>
    new Promise((resolve, reject) => {
      runs.push({ worker, finish: resolve, fail: reject });
    });
}

async function workers(...names: string[]): Promise<Outbox[]> {
  const dbName = uniqueDbName('outbox');
  return Promise.all(
    names.map(async (name) => {
      const db = await openTestDatabase(dbName);
      databases.push(db);
      const outbox = new Outbox(db.connection, 'test', { effect: blockingHandler(name) }, createLogger('silent'), clock);
      const processNow = outbox.process.bind(outbox);
      outbox.process = (key) => {
        const running = processNow(key);
        processing.push(running.catch(() => undefined));
        return running;
      };
      return outbox;
    }),
  );
}

beforeEach(() => {
  runs = [];
  processing = [];
  // one millisecond before a 30 s boundary, where the old window-keyed claims split
  now = Date.UTC(2025, 0, 1, 0, 0, 29, 999);
});
afterEach(async () => {
  for (const run of runs) run.finish();
  await Promise.all(processing);
  await Promise.all(databases.map((db) => db.drop()));
  databases = [];
});

describe('Outbox claims', () => {
  it('lets one worker run an item at a time, across any lease-window boundary', async () => {
    const [a, b] = await workers('a', 'b');
    await a!.enqueue('item-1', 'effect', {});
    const first = a!.process('item-1');
    await until(() => runs.length === 1);
    now += 2;
    const second = watch(b!.process('item-1'));
    await until(() => second.returned || runs.length > 1);
    expect(runs.map((r) => r.worker)).toEqual(['a']);
    expect((await second.promise)?.doneAt).toBeNull();
    runs[0]!.finish('ok');
    expect((await first)?.doneAt).toEqual(expect.any(Date));
  });

  it('claims a fresh attempt with one insert into its leases, reading none', async () => {
    const [a] = await workers('a');
    await a!.enqueue('item-1', 'effect', {});
    databases[0]!.commands.length = 0;
    const first = a!.process('item-1');
    await until(() => runs.length === 1);
    const onLeases = databases[0]!.commands.filter((c) => Object.values(c.command).includes('test_outbox_leases'));
    expect(onLeases.map((c) => c.commandName)).toEqual(['insert']);
    runs[0]!.finish('ok');
    await first;
  });

  it('hands the item of a worker that stopped answering to exactly one other worker once its lease is over', async () => {
    const [a, b, c] = await workers('a', 'b', 'c');
    await a!.enqueue('item-1', 'effect', {});
    void a!.process('item-1');
    await until(() => runs.length === 1);

    now += LEASE_MS - 1;
    const early = [watch(b!.process('item-1')), watch(c!.process('item-1'))];
    await until(() => runs.length > 1 || early.every((t) => t.returned));
    expect(runs).toHaveLength(1);

    now += 2;
    const taking = [watch(b!.process('item-1')), watch(c!.process('item-1'))];
    await until(() => runs.length > 2 || (runs.length === 2 && taking.some((t) => t.returned)));
    expect(runs).toHaveLength(2);
    const loser = taking.findIndex((t) => t.returned);
    expect(runs[1]!.worker).toBe(loser === 0 ? 'c' : 'b');
    runs[1]!.finish('taken over');
    await Promise.all(taking.map((t) => t.promise));
    expect(await a!.find('item-1')).toMatchObject({ doneAt: expect.any(Date), result: 'taken over', attempts: 0 });
  });

  it('hands an item on again when the worker that took it over stops answering too', async () => {
    const [a, b, c] = await workers('a', 'b', 'c');
    await a!.enqueue('item-1', 'effect', {});
    void a!.process('item-1');
    await until(() => runs.length === 1);
    now += LEASE_MS + 1;
    void b!.process('item-1');
    await until(() => runs.length === 2);

    now += LEASE_MS - 1;
    expect((await c!.process('item-1'))?.doneAt).toBeNull();
    expect(runs).toHaveLength(2);

    now += 2;
    const third = c!.process('item-1');
    await until(() => runs.length === 3);
    runs[2]!.finish('third');
    expect((await third)?.result).toBe('third');
    expect(runs.map((r) => r.worker)).toEqual(['a', 'b', 'c']);
  });

  it('gives a failed attempt’s retry a fresh claim: due after its back-off, not after the failed claim’s lease', async () => {
    const [a, b] = await workers('a', 'b');
    await a!.enqueue('item-1', 'effect', {});
    const first = a!.process('item-1');
    await until(() => runs.length === 1);
    runs[0]!.fail(new RetryLater('not yet'));
    const failed = await first;
    expect(failed).toMatchObject({ attempts: 1, doneAt: null, lastError: 'not yet' });

    now = failed!.nextAttemptAt.getTime();
    const retry = b!.process('item-1');
    await until(() => runs.length === 2);
    runs[1]!.finish('second time');
    expect(await retry).toMatchObject({ attempts: 1, doneAt: expect.any(Date), result: 'second time' });
  });

  it('makes the next attempt due when a RetryLater says, not after the back-off, and caps a long wait at the back-off’s ceiling', async () => {
    const [a] = await workers('a');
    await a!.enqueue('item-1', 'effect', {});
    const first = a!.process('item-1');
    await until(() => runs.length === 1);
    runs[0]!.fail(new RetryLater('throttled', { afterMs: 250 }));
    expect(await first).toMatchObject({ attempts: 1, lastError: 'throttled', nextAttemptAt: new Date(now + 250) });

    now += 250;
    const second = a!.process('item-1');
    await until(() => runs.length === 2);
    runs[1]!.fail(new RetryLater('throttled for an hour', { afterMs: 3_600_000 }));
    expect(await second).toMatchObject({ attempts: 2, nextAttemptAt: new Date(now + 10 * 60_000) });
  });

  it('does not let a late finisher of an attempt overwrite the outcome of a later one', async () => {
    const [a, b] = await workers('a', 'b');
    await a!.enqueue('item-1', 'effect', {});
    const slow = a!.process('item-1');
    await until(() => runs.length === 1);
    now += LEASE_MS + 1;
    const takeover = b!.process('item-1');
    await until(() => runs.length === 2);
    runs[1]!.fail(new RetryLater('points down'));
    await takeover;
    runs[0]!.fail(new RetryLater('late failure'));
    await slow;
    expect(await a!.find('item-1')).toMatchObject({ attempts: 1, lastError: 'points down' });
  });
});

describe('Outbox.rearm', () => {
  it('runs an item again that had finished before the record it follows from existed', async () => {
    const [a] = await workers('a');
    await a!.enqueue('item-1', 'effect', {});
    const first = a!.process('item-1');
    await until(() => runs.length === 1);
    runs[0]!.finish({ dropped: 'no record yet' });
    expect((await first)?.doneAt).toEqual(expect.any(Date));

    await a!.rearm('item-1', 'effect', {});
    expect(await a!.pending()).toBe(1);
    const again = a!.process('item-1');
    await until(() => runs.length === 2);
    runs[1]!.finish('settled');
    expect(await again).toMatchObject({ doneAt: expect.any(Date), result: 'settled' });
  });

  it('creates an item that was never written', async () => {
    const [a] = await workers('a');
    await a!.rearm('item-1', 'effect', { n: 1 });
    expect(await a!.find('item-1')).toMatchObject({ type: 'effect', payload: { n: 1 }, doneAt: null });
  });

  it('leaves an item that nobody has started yet as it is', async () => {
    const [a] = await workers('a');
    await a!.enqueue('item-1', 'effect', {});
    const before = await a!.find('item-1');
    now += 5;
    databases[0]!.commands.length = 0;
    await a!.rearm('item-1', 'effect', {});
    expect(await a!.find('item-1')).toEqual(before);
    // whether the attempt started is one look-up by _id, which FerretDB on SQLite serves without a scan
    const onLeases = databases[0]!.commands.filter((c) => Object.values(c.command).includes('test_outbox_leases'));
    expect(onLeases.map((c) => [c.commandName, (c.command as { filter?: unknown }).filter])).toEqual([['find', { _id: 'item-1:0#0' }]]);
  });

  it('runs an item again whose run had started before the record existed, even when that run finishes afterwards', async () => {
    const [worker, request] = await workers('worker', 'request');
    await worker!.enqueue('item-1', 'effect', {});
    const stale = worker!.process('item-1');
    await until(() => runs.length === 1);

    await request!.rearm('item-1', 'effect', {});
    runs[0]!.finish({ dropped: 'no record when this run looked' });
    expect((await stale)?.doneAt).toBeNull();

    const fresh = request!.process('item-1');
    await until(() => runs.length === 2);
    runs[1]!.finish('settled');
    expect(await fresh).toMatchObject({ doneAt: expect.any(Date), result: 'settled' });
  });
});

describe('Outbox.enqueue', () => {
  it('says whether it wrote the item, and an item due later is not run, nor drained, before then', async () => {
    const [a] = await workers('a');
    const due = new Date(now + 60_000);
    expect(await a!.enqueue('item-1', 'effect', {}, { notBefore: due })).toBe(true);
    expect(await a!.enqueue('item-1', 'effect', {})).toBe(false);
    expect(await a!.find('item-1')).toMatchObject({ nextAttemptAt: due, doneAt: null });

    now += 59_999;
    expect(await a!.drain()).toBe(0);
    expect(await a!.process('item-1')).toMatchObject({ doneAt: null, attempts: 0 });
    expect(runs).toHaveLength(0);

    now += 1;
    const draining = a!.drain();
    await until(() => runs.length === 1);
    runs[0]!.finish('matured');
    expect(await draining).toBe(1);
    expect(await a!.find('item-1')).toMatchObject({ doneAt: new Date(now), result: 'matured' });
  });
});

/** Workers a and b on one outbox, each with the handler `handlerOf` gives it (their `process` left as it is). */
async function workersWith(handlerOf: (worker: string) => OutboxHandler): Promise<Outbox[]> {
  const dbName = uniqueDbName('outbox');
  return Promise.all(
    ['a', 'b'].map(async (name) => {
      const db = await openTestDatabase(dbName);
      databases.push(db);
      return new Outbox(db.connection, 'test', { effect: handlerOf(name) }, createLogger('silent'), clock);
    }),
  );
}

it('runs an item as enqueueItem wrote it, reading it only when another worker took its first attempt, and hands the handler the record', async () => {
  const seen: unknown[] = [];
  const [a, b] = await workersWith((name) => (_payload, item, record) => {
    seen.push([name, item.attempts, record ?? null]);
    // the worker's first run comes before the record exists
    return item.attempts === 0 ? Promise.reject(new RetryLater('not stored yet')) : Promise.resolve({ ran: name });
  });
  const item = await a!.enqueueItem('k', 'effect', {});
  expect(item).not.toBeNull();
  await b!.process('k');
  const after = await a!.process('k', { ignoreBackoff: true, item: item!, record: { id: 'record' } });
  expect(seen).toEqual([['b', 0, null], ['a', 1, { id: 'record' }]]);
  expect(after).toMatchObject({ attempts: 1, doneAt: expect.any(Date), result: { ran: 'a' } });
  // the item as that run's own write left it is the stored one
  expect(after).toEqual(await a!.find('k'));
});

it('joins the attempt another worker runs rather than running the written item again once its first lease has expired', async () => {
  const seen: unknown[] = [];
  const [a, b] = await workersWith((name) => (_payload, item) => {
    seen.push([name, item.attempts]);
    if (item.attempts === 0) return Promise.reject(new RetryLater('not stored yet'));
    return new Promise((resolve, reject) => runs.push({ worker: name, finish: resolve, fail: reject }));
  });
  const item = await a!.enqueueItem('k', 'effect', {});
  await b!.process('k');
  now += LEASE_MS / 2;
  const running = b!.process('k', { ignoreBackoff: true });
  processing.push(running);
  await until(() => runs.length === 1);
  // the request that wrote the item resumes after its first attempt's lease (never released) has expired, while
  // the second attempt's still runs
  now += LEASE_MS / 2 + 1;
  const after = await a!.process('k', { ignoreBackoff: true, item: item!, record: { id: 'record' } });
  expect(after).toMatchObject({ attempts: 1, doneAt: null });
  runs[0]!.finish({ ran: 'b' });
  expect(await running).toMatchObject({ attempts: 1, result: { ran: 'b' } });
  expect(seen).toEqual([['b', 0], ['b', 1]]);
});
