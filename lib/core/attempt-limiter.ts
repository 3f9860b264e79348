import { Schema, type Connection, type Model } from 'mongoose';
import { insertOnce } from '@omo/lib/core/claims';

/**
 * One counted attempt under a rate-limit key (a link token, a LINE user, a member changing contacts...). `_id` is
 * "<key>#<seq>": taking the next sequence number is a unique insert, so concurrent attempts cannot all squeeze under
 * the limit the way a count-then-insert would let them on a server without transactions.
 */
export interface AttemptDoc {
  _id: string;
  key: string;
  seq: number;
  at: Date;
}

export type AttemptModel = Model<AttemptDoc>;

/** The attempts collection of one service (each service keeps its own). */
export function attemptModel(connection: Connection, modelName: string, collection: string): AttemptModel {
  const schema = new Schema<AttemptDoc>(
    {
      _id: { type: String, required: true },
      key: { type: String, required: true },
      seq: { type: Number, required: true },
      at: { type: Date, required: true },
    },
    { versionKey: false },
  );
  schema.index({ key: 1, seq: -1 });
  return connection.model<AttemptDoc>(modelName, schema, collection);
}

export interface AttemptLimit {
  key: string;
  limit: number;
  windowMs: number;
}

/** A counted attempt: `release` uncounts it (the attempt succeeded, or never got to check anything). */
export interface Reservation {
  release(): Promise<void>;
}

/** Contention on one key is itself a sign of guessing: after this many lost races the attempt is refused. */
const MAX_RACES = 5;

/**
 * A sliding-window limit that holds under concurrency: an attempt first takes the key's next sequence number by a
 * unique insert; it is refused when the `limit`-th most recent counted attempt is still inside the window.
 */
export class AttemptLimiter {
  constructor(
    private readonly attempts: AttemptModel,
    private readonly clock: () => Date,
  ) {}

  /** Counts one attempt under `key`, or null when the limit is reached (then nothing is counted). */
  async reserve({ key, limit, windowMs }: AttemptLimit): Promise<Reservation | null> {
    for (let race = 0; race < MAX_RACES; race += 1) {
      const now = this.clock();
      const since = new Date(now.getTime() - windowMs);
      const recent = await this.attempts.find({ key }).sort({ seq: -1 }).limit(limit).lean().exec();
      const oldest = recent[limit - 1];
      if (oldest && oldest.at > since) return null;
      // attempts older than the window no longer matter; dropping them keeps each key's history short
      if (oldest) await this.attempts.deleteMany({ key, at: { $lte: since } }).exec();
      const seq = (recent[0]?.seq ?? 0) + 1;
      const id = `${key}#${seq}`;
      if (await insertOnce(this.attempts, { _id: id, key, seq, at: now })) {
        return { release: async () => void (await this.attempts.deleteOne({ _id: id }).exec()) };
      }
    }
    return null;
  }

  /** How long until `limit` lets one more attempt in: the whole window while its recent attempts race for places. */
  async retryAfterMs({ key, limit, windowMs }: AttemptLimit): Promise<number> {
    const since = this.clock().getTime() - windowMs;
    const oldest = (await this.attempts.find({ key }).sort({ seq: -1 }).skip(limit - 1).limit(1).lean().exec())[0];
    return oldest && oldest.at.getTime() > since ? oldest.at.getTime() - since : windowMs;
  }

  /** Counts one attempt under every limit, or none of them when any is reached. */
  async reserveAll(limits: AttemptLimit[]): Promise<Reservation | null> {
    const taken: Reservation[] = [];
    const releaseAll: Reservation = { release: async () => void (await Promise.all(taken.map((r) => r.release()))) };
    for (const limit of limits) {
      const reservation = await this.reserve(limit);
      if (!reservation) {
        await releaseAll.release();
        return null;
      }
      taken.push(reservation);
    }
    return releaseAll;
  }
}
