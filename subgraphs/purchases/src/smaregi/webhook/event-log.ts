import type { Connection } from 'mongoose';
import { requireStaff, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { BadUserInputError } from '@omo/lib/core/errors';
import { smaregiEventLogModel, type SmaregiEventLogDoc, type SmaregiEventLogModel, type SmaregiEventOutcome } from './event-log.model';
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

  constructor(
    connection: Connection,
    private readonly clock: () => Date,
  ) {
    this.log = smaregiEventLogModel(connection);
  }

  /** The event's entries, each inserted RECEIVED the first time (a retry of the event finds them as they were left). */
  async entriesOf(event: SmaregiEventPayload): Promise<SmaregiEventLogDoc[]> {
    const base = { contractId: event.contractId, eventId: event.eventId, event: event.event, action: event.action, reason: null, purchaseId: null, pointsOverdrawn: 0, receivedAt: new Date(event.receivedAt) };
    const prefix = `${event.contractId}:${event.eventId}`;
    const wanted: SmaregiEventLogDoc[] =
      event.event === TRANSACTIONS_EVENT && event.transactionHeadIds.length > 0
        ? event.transactionHeadIds.map((id) => ({ ...base, _id: `${prefix}:tx:${id}`, transactionHeadId: id, customerIds: [], outcome: 'RECEIVED', updatedAt: this.clock() }))
        : [{ ...base, _id: `${prefix}:${event.event === CUSTOMERS_EVENT ? 'customers' : 'event'}`, transactionHeadId: null, customerIds: event.customerIds, outcome: 'RECEIVED', updatedAt: this.clock() }];
    for (const entry of wanted) await insertOnce(this.log, entry);
    return this.log.find({ _id: { $in: wanted.map((e) => e._id) } }).lean<SmaregiEventLogDoc[]>().exec();
  }

  async write(entryId: string, result: LogResult): Promise<void> {
    await this.log.updateOne({ _id: entryId }, { $set: { ...result, updatedAt: this.clock() } });
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
