import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '@omo/lib/core/db';

/**
 * Exclusive decisions on a server with no transactions and no atomic conditional update (FerretDB): the one write
 * every MongoDB-compatible server does atomically is an insert into a unique index, so every claim here is one.
 * FerretDB's duplicate-key error does not say which index clashed, so the loser re-reads what it lost to.
 */

/** The outcome of a claim: the caller's document went in, or another's was there first (re-read, null if gone since). */
export type Claim<T> = { won: true; doc: T } | { won: false; existing: T | null };

/**
 * Claims once by inserting `doc`; on a duplicate key, re-reads the document that holds the claim: by `_id`,
 * or by `holder` where the clash can be on another unique index.
 */
export async function claimOnce<T extends { _id: unknown }>(
  model: Model<T>,
  doc: T,
  holder: () => Promise<T | null> = () => model.findById(doc._id).lean<T>().exec(),
): Promise<Claim<T>> {
  if (await insertOnce(model, doc)) return { won: true, doc };
  return { won: false, existing: await holder() };
}

/** Inserts `doc` unless its unique key is taken: true when this call wrote it. */
export async function insertOnce<T>(model: Model<T>, doc: T): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (error) {
    if (isDuplicateKeyError(error)) return false;
    throw error;
  }
}

/**
 * Inserts `docs` as one unordered insert (each document its own claim): true when every one went in, false when
 * some lost to a unique key. FerretDB's duplicate-key errors do not say which key clashed, so the caller re-reads
 * the keys to learn which claims are its own.
 */
export async function insertManyOnce<T>(model: Model<T>, docs: readonly T[]): Promise<boolean> {
  if (!docs.length) return true;
  try {
    await model.insertMany(docs as T[], { ordered: false, throwOnValidationError: true });
    return true;
  } catch (error) {
    // mongoose copies the driver's write errors into plain objects, which keeps their `err` and drops the getters
    type WriteError = { code?: number; errmsg?: string; err?: { code?: number; errmsg?: string } };
    const writeErrors = (error as { writeErrors?: WriteError[] } | null)?.writeErrors;
    const clashes =
      Array.isArray(writeErrors) && writeErrors.length > 0
        ? writeErrors.every((writeError) => isDuplicateKeyError({ code: writeError.code ?? writeError.err?.code, message: writeError.errmsg ?? writeError.err?.errmsg }))
        : isDuplicateKeyError(error);
    if (clashes) return false;
    throw error;
  }
}

/**
 * One generation of a lease on a resource, `_id` `<resource>#<generation>`. A lease is never updated to be taken:
 * the first holder inserts generation 0; once the newest generation has expired (its holder died, hangs, or
 * released it), the next holder inserts generation n+1, so of several takers at once exactly one wins.
 */
export interface LeaseDoc {
  _id: string;
  resource: string;
  generation: number;
  holder: string;
  acquiredAt: Date;
  expiresAt: Date;
}

export type Lease = LeaseDoc;

const leaseSchema = new Schema<LeaseDoc>(
  {
    _id: { type: String, required: true },
    resource: { type: String, required: true },
    generation: { type: Number, required: true },
    holder: { type: String, required: true },
    acquiredAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);
leaseSchema.index({ resource: 1, generation: -1 });
leaseSchema.index({ expiresAt: 1 });

/** The leases of one kind of resource, in their own collection. */
export class Leases {
  private readonly leases: Model<LeaseDoc>;

  constructor(
    connection: Connection,
    options: { model: string; collection: string },
    private readonly clock: () => Date,
    private readonly leaseMs: number,
  ) {
    const existing = connection.models[options.model] as Model<LeaseDoc> | undefined;
    if (existing && existing.collection.collectionName !== options.collection) {
      throw new Error(`Lease model ${options.model} is already bound to ${existing.collection.collectionName}, not ${options.collection}`);
    }
    this.leases = existing ?? connection.model<LeaseDoc>(options.model, leaseSchema, options.collection);
  }

  /** The resource's lease for `holder`, or null while another holder's lease runs (or another took it just now). */
  async acquire(resource: string, holder: string): Promise<Lease | null> {
    const now = this.clock();
    const newest = await this.newest(resource);
    if (newest && newest.expiresAt.getTime() > now.getTime()) return null;
    const lease = this.lease(resource, newest ? newest.generation + 1 : 0, holder, now);
    return (await insertOnce(this.leases, lease)) ? lease : null;
  }

  /**
   * As acquire, for a resource that is most likely new (an outbox item's next attempt): generation 0 is inserted
   * before anything is read, so the usual case costs one command; only on a clash is the newest lease looked at.
   */
  async acquireNew(resource: string, holder: string): Promise<Lease | null> {
    const first = this.lease(resource, 0, holder, this.clock());
    if (await insertOnce(this.leases, first)) return first;
    return this.acquire(resource, holder);
  }

  /** Whether the resource has ever been leased: one look-up of generation 0 by `_id` (which every store serves fast). */
  async started(resource: string): Promise<boolean> {
    return (await this.leases.exists({ _id: `${resource}#0` })) !== null;
  }

  /** The resource's newest lease, running or not. */
  newest(resource: string): Promise<LeaseDoc | null> {
    return this.leases.findOne({ resource }).sort({ generation: -1 }).lean<LeaseDoc>().exec();
  }

  /** Ends the lease now, so the next holder need not wait for it to expire; a lease already taken over is left alone. */
  async release(lease: Lease): Promise<void> {
    await this.leases.updateOne({ _id: lease._id, holder: lease.holder }, { $set: { expiresAt: this.clock() } });
  }

  /** Forgets a finished resource's leases. */
  async clear(resource: string): Promise<void> {
    await this.leases.deleteMany({ resource });
  }

  /** Deletes leases that expired before `before` (they only matter while they run). */
  async prune(before: Date): Promise<void> {
    await this.leases.deleteMany({ expiresAt: { $lt: before } });
  }

  private lease(resource: string, generation: number, holder: string, now: Date): LeaseDoc {
    return { _id: `${resource}#${generation}`, resource, generation, holder, acquiredAt: now, expiresAt: new Date(now.getTime() + this.leaseMs) };
  }
}
