import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { claimOnce, insertOnce } from '@omo/lib/core/claims';
import { BadUserInputError } from '@omo/lib/core/errors';
import { smaregiEventLogModel, smaregiEventOutcomeModel, type SmaregiEventLogDoc, type SmaregiEventLogModel, type SmaregiEventOutcome, type SmaregiEventOutcomeDoc, type SmaregiEventOutcomeModel } from './event-log.model';
import { CUSTOMERS_EVENT, TRANSACTIONS_EVENT, type SmaregiEventPayload } from './webhook-request';

export interface SmaregiEventPage {
  nodes: SmaregiEventLogDoc[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export type LogResult = Pick<SmaregiEventLogDoc, 'outcome' | 'reason'> & Partial<Pick<SmaregiEventLogDoc, 'purchaseId' | 'pointsOverdrawn'>>;

/** The connector's event log (event-log.model.ts): what the event handler writes and what staff read. */
export class SmaregiEventLog {
  private readonly log: SmaregiEventLogModel;
  private readonly outcomes: SmaregiEventOutcomeModel;

  constructor(
    connection: Connection,
    private readonly clock: () => Date,
  ) {
    this.log = smaregiEventLogModel(connection);
    this.outcomes = smaregiEventOutcomeModel(connection);
  }

  /** The event's entries, each inserted RECEIVED the first time (a retry of the event finds them as they were left). */
  async entriesOf(event: SmaregiEventPayload): Promise<SmaregiEventLogDoc[]> {
    const base = { contractId: event.contractId, eventId: event.eventId, event: event.event, action: event.action, reason: null, purchaseId: null, pointsOverdrawn: 0, receivedAt: new Date(event.receivedAt) };
    const prefix = `${event.contractId}:${event.eventId}`;
    const entry = (suffix: string, transactionHeadId: string | null, customerIds: string[]): SmaregiEventLogDoc => ({ ...base, _id: `${prefix}:${suffix}`, transactionHeadId, customerIds, outcome: 'RECEIVED', updatedAt: this.clock() });
    // one entry per transaction and per customer, so an attempt that stops (its budget, Smaregi throttling) resumes
    // where it stopped instead of from the first of a bulk-update's hundreds
    const wanted: SmaregiEventLogDoc[] =
      event.event === TRANSACTIONS_EVENT && event.transactionHeadIds.length > 0
        ? event.transactionHeadIds.map((id) => entry(`tx:${id}`, id, []))
        : event.event === CUSTOMERS_EVENT && event.customerIds.length > 0
          ? event.customerIds.map((id) => entry(`customer:${id}`, null, [id]))
          : [entry(event.event === CUSTOMERS_EVENT ? 'customers' : 'event', null, event.customerIds)];
    for (const entry of wanted) await insertOnce(this.log, entry);
    // in the event's order (a find by $in has none on FerretDB): a sale before its void, and an attempt stopped by its
    // budget resumes at the next entry rather than at one chosen by the database
    const found = new Map((await this.log.find({ _id: { $in: wanted.map((e) => e._id) } }).lean<SmaregiEventLogDoc[]>().exec()).map((e) => [e._id, e]));
    const entries = wanted.flatMap((e) => found.get(e._id) ?? []);
    // an attempt that died between deciding an outcome and copying it: the copy is made now, not the entry run again
    const decided = new Map((await this.outcomes.find({ _id: { $in: entries.filter((e) => e.outcome === 'RECEIVED').map((e) => e._id) } }).lean<SmaregiEventOutcomeDoc[]>().exec()).map((o) => [o._id, o]));
    for (const outcome of decided.values()) await this.copy(outcome);
    return entries.map((entry) => {
      const outcome = decided.get(entry._id);
      return outcome ? { ...entry, ...resultOf(outcome) } : entry;
    });
  }

  /**
   * A final outcome is inserted (the first of two workers at once wins; the other's is dropped) and copied onto the
   * entry; a RECEIVED one ("waiting") only goes onto an entry not decided, and is followed by a look for an outcome
   * decided meanwhile, copied over it: whichever order two workers' writes land in, the entry ends at the decision.
   */
  async write(entryId: string, result: LogResult): Promise<LogResult> {
    if (result.outcome === 'RECEIVED') {
      await this.log.updateOne({ _id: entryId, outcome: 'RECEIVED' }, { $set: { ...result, updatedAt: this.clock() } });
      const decided = await this.outcomes.findById(entryId).lean<SmaregiEventOutcomeDoc>().exec();
      if (!decided) return result;
      await this.copy(decided);
      return resultOf(decided);
    }
    const claim = await claimOnce(this.outcomes, { _id: entryId, purchaseId: null, pointsOverdrawn: 0, ...result, decidedAt: this.clock() });
    const decided = claim.won ? claim.doc : claim.existing;
    if (!decided) throw new Error(`the outcome of Smaregi event entry ${entryId} clashed on insert and is gone`);
    await this.copy(decided);
    return resultOf(decided);
  }

  private async copy(decided: SmaregiEventOutcomeDoc): Promise<void> {
    await this.log.updateOne({ _id: decided._id }, { $set: { ...resultOf(decided), updatedAt: this.clock() } });
  }

  /**
   * An authenticated webhook that could not be read (no event id, not JSON, not the event's shape): one FAILED entry
   * with whatever event id and ids it carries, for staff to carry out by hand. Its id is the event id's (else one of
   * its own), so a redelivery of it is the same entry.
   */
  async unreadable(contractId: string, eventId: string | null, body: unknown, reason: string): Promise<void> {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 100) : null);
    const ids = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').map((v) => v.slice(0, 20)) : []);
    const transactionHeadIds = ids(fields.transactionHeadIds);
    const id = `${contractId}:${eventId?.slice(0, 100) ?? randomUUID()}:unreadable`;
    const now = this.clock();
    const summary = transactionHeadIds.length ? `; transactionHeadIds ${transactionHeadIds.slice(0, 50).join(', ')}${transactionHeadIds.length > 50 ? ` and ${transactionHeadIds.length - 50} more` : ''}` : '';
    await insertOnce(this.log, {
      _id: id,
      contractId,
      eventId: eventId?.slice(0, 100) ?? '(none)',
      event: text(fields.event) ?? '(unreadable)',
      action: text(fields.action),
      transactionHeadId: transactionHeadIds.length === 1 ? transactionHeadIds[0]! : null,
      customerIds: ids(fields.customerIds).slice(0, 1000),
      outcome: 'RECEIVED',
      reason: null,
      purchaseId: null,
      pointsOverdrawn: 0,
      receivedAt: now,
      updatedAt: now,
    });
    await this.write(id, { outcome: 'FAILED', reason: `${reason}${summary}: carry it out by hand` });
  }

  /** Staff: entries newest first (by when the event came), optionally of one outcome; the cursor is `<receivedAt>|<id>`. */
  async page(caller: Caller, options: { outcome?: SmaregiEventOutcome | null; first: number; after?: string | null }): Promise<SmaregiEventPage> {
    requireStaff(caller);
    const { first, after } = options;
    if (first < 1 || first > 100) throw new BadUserInputError('first must be 1-100', { field: 'first' });
    const query: Record<string, unknown> = options.outcome ? { outcome: options.outcome } : {};
    if (after) {
      const { at, id } = decodeCursor(after);
      query.$or = [{ receivedAt: { $lt: at } }, { receivedAt: at, _id: { $lt: id } }];
    }
    const rows = await this.log.find(query).sort({ receivedAt: -1, _id: -1 }).limit(first + 1).lean<SmaregiEventLogDoc[]>().exec();
    const nodes = rows.slice(0, first);
    const last = nodes.at(-1);
    return { nodes, hasNextPage: rows.length > first, endCursor: last ? Buffer.from(`${last.receivedAt.toISOString()}|${last._id}`).toString('base64url') : null };
  }
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const bar = text.indexOf('|');
  const at = new Date(text.slice(0, bar));
  if (bar < 0 || Number.isNaN(at.getTime()) || bar === text.length - 1) throw new BadUserInputError('Invalid cursor', { field: 'after' });
  return { at, id: text.slice(bar + 1) };
}

function resultOf(decided: SmaregiEventOutcomeDoc): LogResult {
  return { outcome: decided.outcome, reason: decided.reason, purchaseId: decided.purchaseId, pointsOverdrawn: decided.pointsOverdrawn };
}
