import { Schema, type Connection, type Model } from 'mongoose';
import { isDuplicateKeyError } from '@omo/lib/core/db';

/**
 * Which worker works on a delivery. A lease is the insert of `<delivery>:<generation>`: the first lease is
 * generation 0, and once the newest has expired (or was released) the next is taken by inserting generation n+1,
 * so of several workers taking over at once exactly one wins (E11000 for the others). Nothing is updated to take
 * a lease: conditional updates are not atomic on FerretDB, inserts under a unique `_id` are.
 */
export interface LeaseDoc {
  _id: string;
  deliveryId: string;
  generation: number;
  holder: string;
  acquiredAt: Date;
  expiresAt: Date;
}

export interface DeliveryLease {
  id: string;
  deliveryId: string;
  acquiredAt: Date;
  expiresAt: Date;
}

const leaseSchema = new Schema<LeaseDoc>(
  {
    _id: { type: String, required: true },
    deliveryId: { type: String, required: true },
    generation: { type: Number, required: true },
    holder: { type: String, required: true },
    acquiredAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);
leaseSchema.index({ deliveryId: 1, generation: -1 });

export class DeliveryLeases {
  private readonly leases: Model<LeaseDoc>;

  constructor(
    connection: Connection,
    private readonly clock: () => Date,
    private readonly holder: string,
    private readonly leaseMs: number,
  ) {
    this.leases = connection.model<LeaseDoc>('LineDeliveryLease', leaseSchema, 'line_delivery_leases');
  }

  /** The delivery's lease for this worker, or null while another worker's lease runs (or another took it now). */
  async acquire(deliveryId: string): Promise<DeliveryLease | null> {
    const now = this.clock();
    const newest = await this.leases.findOne({ deliveryId }).sort({ generation: -1 }).lean<LeaseDoc>().exec();
    if (newest && newest.expiresAt.getTime() > now.getTime()) return null;
    const generation = newest ? newest.generation + 1 : 0;
    const lease: LeaseDoc = {
      _id: `${deliveryId}:${generation}`,
      deliveryId,
      generation,
      holder: this.holder,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + this.leaseMs),
    };
    try {
      await this.leases.create(lease);
    } catch (error) {
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
    return { id: lease._id, deliveryId, acquiredAt: lease.acquiredAt, expiresAt: lease.expiresAt };
  }

  /** Ends the lease now so the next worker need not wait for it to expire; only its holder writes it. */
  async release(lease: DeliveryLease): Promise<void> {
    await this.leases.updateOne({ _id: lease.id }, { $set: { expiresAt: this.clock() } });
  }

  /** Forgets a finished delivery's leases. */
  async clear(deliveryId: string): Promise<void> {
    await this.leases.deleteMany({ deliveryId });
  }
}
