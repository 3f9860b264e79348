import { Types } from 'mongoose';
import type { Caller } from '@omo/lib/core/auth';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { StoreRateRevisionDoc, StoreRateRevisionModel } from '../models/store-earn-rate.model';
import { assertFuture, assertWindow, isGiven, objectIdString, validDate, wholeNumber } from './rule-inputs';
import { adminActor, diff, headsOnly, insertRevision, pick, retryOnClash } from './rule-revisions';

/** A store's own earn rate; it overrides the channel default inside its window (start inclusive, end exclusive). */
export interface StoreEarnRate {
  storeId: string;
  ratePoints: number;
  ratePerYen: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface SetStoreEarnRateInput {
  storeId: string;
  ratePoints?: number | null;
  ratePerYen?: number | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
}

type StoreRateFields = Pick<StoreRateRevisionDoc, 'ratePoints' | 'ratePerYen' | 'startsAt' | 'endsAt'>;
const STORE_RATE_FIELDS = ['ratePoints', 'ratePerYen', 'startsAt', 'endsAt'] as const satisfies readonly (keyof StoreRateFields)[];
const REMOVED_STORE_RATE: StoreRateFields = { ratePoints: null, ratePerYen: null, startsAt: null, endsAt: null };

function storeRateOf(doc: StoreRateRevisionDoc): StoreEarnRate | null {
  if (doc.ratePoints === null || doc.ratePerYen === null) return null;
  return { storeId: doc.storeId, ratePoints: doc.ratePoints, ratePerYen: doc.ratePerYen, startsAt: doc.startsAt, endsAt: doc.endsAt };
}

/** Stores' own earn rates: revisions per store under the unique (storeId, revision), each with its audit record. */
export class StoreRateService {
  constructor(
    private readonly storeRates: StoreRateRevisionModel,
    private readonly clock: () => Date,
  ) {}

  /** The store's own rate, whatever its window, as set by `madeBy` (default: now); null when it had none. */
  async storeRate(storeId: string, madeBy?: Date): Promise<StoreEarnRate | null> {
    const filter = madeBy ? { storeId, 'change.at': { $lte: madeBy } } : { storeId };
    const head = await this.storeRates.findOne(filter).sort({ revision: -1 }).lean<StoreRateRevisionDoc>();
    return head ? storeRateOf(head) : null;
  }

  /** Store rates set and not over yet, by store. */
  async liveStoreRates(): Promise<StoreEarnRate[]> {
    const now = this.clock();
    const candidates = await this.storeRates
      .find({ ratePoints: { $ne: null }, $or: [{ endsAt: null }, { endsAt: { $gt: now } }] })
      .lean<StoreRateRevisionDoc[]>();
    if (!candidates.length) return [];
    const revisions = await this.storeRates
      .find({ storeId: { $in: [...new Set(candidates.map((c) => c.storeId))] } }, { storeId: 1, revision: 1 })
      .lean<Pick<StoreRateRevisionDoc, 'storeId' | 'revision'>[]>();
    return headsOnly(
      candidates,
      revisions.map((r) => ({ key: r.storeId, revision: r.revision })),
      (c) => c.storeId,
      (c) => c.revision,
    )
      .map(storeRateOf)
      .filter(isGiven)
      .sort((a, b) => a.storeId.localeCompare(b.storeId));
  }

  /** Staff: sets a store's own rate, or removes it (ratePoints null) so the channel default applies again. */
  async setStoreEarnRate(caller: Caller, input: SetStoreEarnRateInput): Promise<void> {
    const actor = adminActor(caller);
    const storeId = objectIdString(input.storeId, 'storeId');
    const removing = !isGiven(input.ratePoints);
    if (removing) {
      const extra = (['ratePerYen', 'startsAt', 'endsAt'] as const).find((field) => isGiven(input[field]));
      if (extra) throw new BadUserInputError(`${extra} needs ratePoints (a null ratePoints removes the store rate)`, { field: extra });
    }
    const ratePoints = removing ? null : wholeNumber(input.ratePoints, 'ratePoints', 0, 1000);
    const ratePerYen = removing ? null : wholeNumber(input.ratePerYen ?? 100, 'ratePerYen', 1, 100_000);
    const startsAt = isGiven(input.startsAt) ? validDate(input.startsAt, 'startsAt') : null;
    const endsAt = isGiven(input.endsAt) ? validDate(input.endsAt, 'endsAt') : null;

    await retryOnClash(async () => {
      const now = this.clock();
      const after: StoreRateFields = removing ? REMOVED_STORE_RATE : { ratePoints, ratePerYen, startsAt: startsAt ?? now, endsAt };
      if (after.startsAt && after.endsAt) {
        assertWindow(after.startsAt, after.endsAt);
        assertFuture(after.endsAt, now);
      }
      const head = await this.storeRates.findOne({ storeId }).sort({ revision: -1 }).lean<StoreRateRevisionDoc>();
      const changes = diff(head ? pick(head, STORE_RATE_FIELDS) : REMOVED_STORE_RATE, after, STORE_RATE_FIELDS);
      if (!changes.length) return;
      const revision: StoreRateRevisionDoc = {
        _id: new Types.ObjectId(),
        storeId,
        revision: (head?.revision ?? 0) + 1,
        ...after,
        change: { actor, at: now, action: removing ? 'REMOVE_STORE_EARN_RATE' : 'SET_STORE_EARN_RATE', changes },
      };
      return insertRevision(this.storeRates, revision, undefined);
    });
  }
}
