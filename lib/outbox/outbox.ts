import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { repeat, type BackgroundTask } from '@omo/lib/server/background';
import { insertManyOnce, insertOnce, Leases } from '@omo/lib/core/claims';
import { KeyedLock } from '@omo/lib/core/keyed-lock';
import { secondsLate } from '@omo/lib/core/time';
import type { Logger } from '@omo/lib/core/logger';
import { outboxItemModel, type OutboxItemDoc, type OutboxItemModel } from './outbox-item.model';

export type { OutboxItemDoc } from './outbox-item.model';

const MAX_BACKOFF_MS = 10 * 60_000;

/** Each connection's outboxes, so a service's /ready and /metrics find them without being told. */
const outboxesByConnection = new WeakMap<Connection, Outbox[]>();

/** The outboxes built on a service's connection. */
export function outboxesOn(connection: Connection): readonly Outbox[] {
  return outboxesByConnection.get(connection) ?? [];
}

/** What /metrics and /ready read of an outbox. */
export interface OutboxBacklog {
  /** Items not done, deferred ones included. */
  pending: number;
  /** Items not done whose last attempt failed: retrying, or stuck. */
  failing: number;
  /** How long the item due first has been due (0 with none due): how far the workers are behind. */
  oldestDueSeconds: number;
}

/**
 * What a handler decides about an item it cannot complete yet. `afterMs`: when the other side said when to ask
 * again (Shopify's Retry-After, its cost throttle's restore time), the next attempt is due then instead of after
 * the item's back-off; never later than MAX_BACKOFF_MS, so a wrong answer cannot park an item for long.
 */
export class RetryLater extends Error {
  readonly afterMs: number | null;

  constructor(reason: string, options: { afterMs?: number } = {}) {
    super(reason);
    this.name = 'RetryLater';
    this.afterMs = options.afterMs === undefined ? null : Math.min(Math.max(Math.ceil(options.afterMs), 0), MAX_BACKOFF_MS);
  }
}

/**
 * `record`: what the item follows from as the caller that just stored it holds it (process's `record`), so the
 * handler need not read it back; absent when the worker runs the item. A handler checks it is the record it wants.
 */
export type OutboxHandler = (payload: Record<string, unknown>, item: OutboxItemDoc, record?: unknown) => Promise<unknown>;

/** How long an attempt's lease holds: a handler's run must end within it, or a second runner may join it. */
export const LEASE_MS = 30_000;
/** Leases only matter while they run (and, for rearm, while their attempt is current); long after it they are deleted. */
const LEASE_RETENTION_MS = 24 * 3_600_000;

/**
 * A durable to-do list of side effects on other services (sign-up bonus, purchase settlement). An item is written
 * before the change it follows from, so a crash in between loses nothing; handlers are idempotent, so running
 * an item twice doubles nothing. Several worker processes can run: each attempt of an item (`<item>:<attempt>`)
 * is run under a lease (lib/core/claims.ts), which one worker gets by a unique insert; a lease older than
 * LEASE_MS (its worker died or hangs) is taken over by inserting its next generation, again won by exactly one
 * worker. An attempt's outcome is written only while the item is still at that attempt, so a late finisher cannot
 * overwrite a newer outcome or a rearm.
 *
 * Leases live in `<name>_outbox_leases`. The version before them claimed attempts in `<name>_outbox_claims`
 * (`<item>:<attempt>`, then `:takeover:<n>`), which this one neither reads nor writes: during a rolling deploy
 * an old and a new worker can each run the same attempt once, as a takeover would. Handlers being
 * idempotent (and a settlement's outcome decided by its own unique insert), that costs a repeated call and nothing
 * else; the old collection can be dropped once no old worker runs.
 */
export class Outbox {
  private readonly items: OutboxItemModel;
  private readonly leases: Leases;
  /** This process's name on its leases, for operators reading them. */
  private readonly holder = randomUUID();
  private readonly inFlight = new KeyedLock();

  constructor(
    connection: Connection,
    readonly name: string,
    private readonly handlers: Record<string, OutboxHandler>,
    private readonly logger: Logger,
    private readonly clock: () => Date,
    /**
     * `concurrency`: how many items a drain runs at once: 1 keeps them in due order; more for slow, independent
     * calls (webhooks). `fairBy`: items sharing the value at `field` (a webhook subscription) take at most `atOnce`
     * of those slots, so one slow group cannot hold every slot (see drain).
     */
    private readonly options: { concurrency?: number; fairBy?: { field: string; atOnce: number } } = {},
  ) {
    this.items = outboxItemModel(connection, name);
    this.leases = new Leases(connection, { model: `${name}OutboxLease`, collection: `${name}_outbox_leases` }, clock, LEASE_MS);
    outboxesByConnection.set(connection, [...outboxesOn(connection).filter((o) => o.name !== name), this]);
  }

  /**
   * Records a side effect to carry out; the same key twice is one item (false: it was there already). `notBefore`:
   * not due until then (a change that happens with no write to follow it, e.g. pending points becoming usable).
   */
  async enqueue(key: string, type: string, payload: Record<string, unknown>, options: { notBefore?: Date } = {}): Promise<boolean> {
    return (await this.enqueueItem(key, type, payload, options)) !== null;
  }

  /** As enqueue, returning the item as written (null: it was there already), for `process`'s `item`. */
  async enqueueItem(key: string, type: string, payload: Record<string, unknown>, options: { notBefore?: Date } = {}): Promise<OutboxItemDoc | null> {
    const now = this.clock();
    const item = this.newItem({ key, type, payload }, now, options.notBefore ?? now);
    return (await insertOnce(this.items, item)) ? item : null;
  }

  /**
   * As enqueue, for a batch's items in one insert: an item whose key is there already is kept as it is (false:
   * some were, which FerretDB does not say).
   */
  async enqueueMany(items: { key: string; type: string; payload: Record<string, unknown> }[]): Promise<boolean> {
    const now = this.clock();
    const docs = items.map((item) => this.newItem(item, now, now));
    return insertManyOnce(this.items, docs);
  }

  /** A new item, not run yet; its type must have a handler here (a programming error otherwise). */
  private newItem(item: { key: string; type: string; payload: Record<string, unknown> }, now: Date, nextAttemptAt: Date): OutboxItemDoc {
    if (!this.handlers[item.type]) throw new Error(`No outbox handler for ${item.type}`);
    return { _id: item.key, type: item.type, payload: item.payload, createdAt: now, attempts: 0, nextAttemptAt, doneAt: null, lastError: null, result: null };
  }

  /**
   * For a caller that has just stored (or found) the record an item follows from, still waiting for its effect:
   * makes sure a run of the item starts after now. Its earlier runs may have looked before the record existed (a
   * request that died between queueing the item and storing the record, and was retried after the handler had
   * given the item up), so an item that is done, or whose current attempt has been claimed, gets a new attempt,
   * due now; an item never written is written. An extra run costs nothing, handlers being idempotent.
   *
   * `joinRunning`: an item not done is left as it is even while an attempt runs, and the caller gets that
   * attempt's outcome. For a handler whose concurrent runs could disagree (a settlement refused by one run and
   * redeemed by the next): an attempt that looked before the record existed still retries, for the item is too
   * young to be given up, or ends done, and a later call starts a new one.
   */
  async rearm(key: string, type: string, payload: Record<string, unknown>, options: { joinRunning?: boolean } = {}): Promise<void> {
    const item = await this.find(key);
    if (!item) {
      await this.enqueue(key, type, payload);
      return;
    }
    if (!item.doneAt && (options.joinRunning || !(await this.leases.started(attemptOf(item))))) return;
    await this.items.updateOne(
      { _id: key },
      { $set: { doneAt: null, result: null, nextAttemptAt: this.clock() }, $inc: { attempts: 1 } },
    );
  }

  /**
   * As rearm, for a batch's records stored together, in one command: the items that are done, and those written
   * before `queuedBefore` (a run of them may be deciding on what it read before the records existed), get a new
   * attempt, due now. Items written since are left as they are (a run of them sees the records), which keeps the
   * usual batch, its items fresh, from rewriting any; an item never written stays unwritten.
   */
  async rearmMany(keys: string[], queuedBefore: Date): Promise<void> {
    if (!keys.length) return;
    await this.items.updateMany(
      { _id: { $in: keys }, $or: [{ doneAt: { $ne: null } }, { createdAt: { $lt: queuedBefore } }] },
      { $set: { doneAt: null, result: null, nextAttemptAt: this.clock() }, $inc: { attempts: 1 } },
    );
  }

  /**
   * For a caller that has just stored (or found) the record an item follows from and waits on its outcome:
   * rearm it, then run it now. See rearm and process.
   */
  async runNow(
    key: string,
    type: string,
    payload: Record<string, unknown>,
    options: { ignoreBackoff?: boolean; joinRunning?: boolean } = {},
  ): Promise<OutboxItemDoc | null> {
    await this.rearm(key, type, payload, { joinRunning: options.joinRunning });
    return this.process(key, options);
  }

  find(key: string): Promise<OutboxItemDoc | null> {
    return this.items.findById(key).lean<OutboxItemDoc>().exec();
  }

  /**
   * Runs one item now if it is due and nobody else holds it. Returns the item as it is afterwards: done, or
   * scheduled for a later attempt with the error kept. `ignoreBackoff`: a caller waiting on the outcome (a
   * client resending its request) runs the next attempt now rather than after the back-off; the attempt is
   * still claimed exclusively, so this only brings it forward.
   */
  process(key: string, options: { ignoreBackoff?: boolean; item?: OutboxItemDoc; record?: unknown } = {}): Promise<OutboxItemDoc | null> {
    // callers in this process wait for an attempt already running, then see its outcome
    return this.inFlight.run(key, () => this.processNow(key, options.ignoreBackoff ?? false, options));
  }

  /**
   * `item`: the item as enqueueItem just wrote it, which saves reading it back. It is only as written while nobody
   * has leased its first attempt: when this call's lease is not generation 0 of that attempt, another runner took it
   * (the worker, before the record it follows from was stored) and may have moved the item on to a later attempt
   * that is running now, so the item is read and its current attempt leased as any other. A takeover of the first
   * attempt's expired lease is no proof that nobody runs the item: leases are never released, and that runner's
   * next attempt holds a lease of its own. `record` goes to the handler (OutboxHandler).
   */
  private async processNow(key: string, ignoreBackoff: boolean, given: { item?: OutboxItemDoc; record?: unknown }): Promise<OutboxItemDoc | null> {
    const toRun = (item: OutboxItemDoc | null): item is OutboxItemDoc =>
      item !== null && !item.doneAt && (ignoreBackoff || item.nextAttemptAt.getTime() <= this.clock().getTime());
    let item = given.item ?? (await this.find(key));
    if (!toRun(item)) return item;
    let lease = await this.leases.acquireNew(attemptOf(item), this.holder);
    if (given.item && lease?.generation !== 0) {
      const written = item;
      item = await this.find(key);
      if (!toRun(item)) return item;
      if (item.attempts !== written.attempts) lease = await this.leases.acquireNew(attemptOf(item), this.holder);
    }
    if (!lease) return item;
    const handler = this.handlers[item.type];
    let after: Partial<OutboxItemDoc>;
    let written: { matchedCount: number };
    try {
      if (!handler) throw new Error(`No outbox handler for ${item.type}`);
      const result = (await handler(item.payload, item, given.record)) ?? null;
      after = { doneAt: this.clock(), result, lastError: null };
      written = await this.items.updateOne({ _id: item._id, attempts: item.attempts }, { $set: after });
    } catch (error) {
      const attempts = item.attempts + 1;
      const delay = error instanceof RetryLater && error.afterMs !== null ? error.afterMs : Math.min(1000 * 2 ** Math.min(attempts, 20), MAX_BACKOFF_MS);
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof RetryLater)) this.logger.warn({ outbox: this.name, key, attempts, err: message }, 'outbox item failed; will retry');
      after = { attempts, nextAttemptAt: new Date(this.clock().getTime() + delay), lastError: message };
      written = await this.items.updateOne({ _id: item._id, attempts: item.attempts, doneAt: null }, { $set: after });
    }
    // what this attempt wrote is the item now; one moved on meanwhile (a rearm, another runner) is read
    return written.matchedCount === 1 ? { ...item, ...after } : this.find(key);
  }

  /**
   * Processes due items once; returns how many were completed. With `fairBy`, the due items are taken in turns
   * across their groups (so one group with many due items cannot fill the `limit` and starve the others), and an
   * item whose group already runs `atOnce` items is passed over and left due for the next drain: a group answering
   * slowly keeps `atOnce` slots for one item's run and the drain ends after it, while a quick group's next items
   * are taken as its runs end.
   */
  async drain(limit = 100): Promise<number> {
    await this.leases.prune(new Date(this.clock().getTime() - LEASE_RETENTION_MS));
    const due = this.options.fairBy ? await this.dueInTurns(limit, this.options.fairBy.field) : await this.dueItems({}, limit);
    const groupOf = (item: OutboxItemDoc) => (this.options.fairBy ? String(valueAt(item, this.options.fairBy.field)) : '');
    const atOnce = this.options.fairBy?.atOnce ?? Infinity;
    const running = new Map<string, number>();
    let done = 0;
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const item = due[next++]!;
        const group = groupOf(item);
        if ((running.get(group) ?? 0) >= atOnce) continue;
        running.set(group, (running.get(group) ?? 0) + 1);
        try {
          if ((await this.process(item._id))?.doneAt) done += 1;
        } finally {
          running.set(group, running.get(group)! - 1);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency ?? 1, due.length)) }, worker));
    return done;
  }

  private dueItems(filter: Record<string, unknown>, limit: number): Promise<OutboxItemDoc[]> {
    return this.items
      .find({ ...filter, doneAt: null, nextAttemptAt: { $lte: this.clock() } })
      .sort({ nextAttemptAt: 1 })
      .limit(limit)
      .lean<OutboxItemDoc[]>()
      .exec();
  }

  /** Each group's due items in due order, taken one from each group in turn (the group due first leads). */
  private async dueInTurns(limit: number, field: string): Promise<OutboxItemDoc[]> {
    const groups = await this.items
      .aggregate<{ _id: unknown }>([{ $match: { doneAt: null, nextAttemptAt: { $lte: this.clock() } } }, { $group: { _id: `$${field}`, n: { $sum: 1 } } }])
      .exec();
    const lists = await Promise.all(groups.map((g) => this.dueItems({ [field]: g._id ?? null }, limit)));
    lists.sort((a, b) => (a[0]?.nextAttemptAt.getTime() ?? Infinity) - (b[0]?.nextAttemptAt.getTime() ?? Infinity));
    const due: OutboxItemDoc[] = [];
    for (let turn = 0; due.length < limit && lists.some((list) => turn < list.length); turn += 1) {
      for (const list of lists) if (turn < list.length && due.length < limit) due.push(list[turn]!);
    }
    return due;
  }

  /** Items not done yet (for /ready, tests and operators). */
  pending(): Promise<number> {
    return this.items.countDocuments({ doneAt: null }).exec();
  }

  /**
   * Three queries on the `{ doneAt, nextAttemptAt }` index: two counts over the items not done (their cost grows
   * with the backlog, not with the collection) and the first due item. An item's age is counted from when it
   * became due, not from its creation: a deferred item (`notBefore`) is not late when its time comes, and a
   * failing one's back-off is not the workers' delay (`failing` shows those).
   */
  async backlog(): Promise<OutboxBacklog> {
    const now = this.clock();
    const [pending, failing, first] = await Promise.all([
      this.pending(),
      this.items.countDocuments({ doneAt: null, lastError: { $ne: null } }).exec(),
      this.items.findOne({ doneAt: null, nextAttemptAt: { $lte: now } }, { nextAttemptAt: 1 }).sort({ nextAttemptAt: 1 }).lean<Pick<OutboxItemDoc, 'nextAttemptAt'>>().exec(),
    ]);
    return { pending, failing, oldestDueSeconds: secondsLate(first?.nextAttemptAt, now) };
  }

  /** Drains on an interval until stopped. */
  start(intervalMs: number): BackgroundTask {
    return repeat(`${this.name} outbox`, intervalMs, () => this.drain(), this.logger);
  }
}

/** The value at a dotted path of an item (`payload.subscriptionId`). */
function valueAt(item: OutboxItemDoc, field: string): unknown {
  return field.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | null | undefined)?.[key], item);
}

/** The resource an attempt's leases are on: a failed attempt's retry and a rearm start with a fresh one. */
function attemptOf(item: OutboxItemDoc): string {
  return `${item._id}:${item.attempts}`;
}
