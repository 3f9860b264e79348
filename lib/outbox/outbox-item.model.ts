import { Schema, type Connection, type Model } from 'mongoose';

/** One side effect to carry out, keyed by what it follows from, so the same effect queued twice is one item. */
export interface OutboxItemDoc {
  _id: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** The current attempt: a failure or a rearm moves the item to the next, which is claimed afresh. */
  attempts: number;
  nextAttemptAt: Date;
  doneAt: Date | null;
  /** What the last failed attempt said, for operators. */
  lastError: string | null;
  /** The handler's result once done. */
  result: unknown;
}

export type OutboxItemModel = Model<OutboxItemDoc>;

const itemSchema = new Schema<OutboxItemDoc>(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    attempts: { type: Number, required: true, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    doneAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    result: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, minimize: false },
);
itemSchema.index({ doneAt: 1, nextAttemptAt: 1 });

/** The items of the outbox called `name`, in `<name>_outbox`. */
export function outboxItemModel(connection: Connection, name: string): OutboxItemModel {
  return connection.model<OutboxItemDoc>(`${name}Outbox`, itemSchema, `${name}_outbox`);
}
