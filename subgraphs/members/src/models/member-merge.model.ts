import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type MergeStep = 'MEMBER_STATUS' | 'PROFILE' | 'POINTS' | 'PURCHASES' | 'LINE';
export const MERGE_STEPS: readonly MergeStep[] = ['MEMBER_STATUS', 'PROFILE', 'POINTS', 'PURCHASES', 'LINE'];

/** Why a merge was refused, kept so that asking again gives the same answer. */
export interface MergeRefusal {
  message: string;
  field: string;
}

/**
 * One attempt to merge `mergedId` into `survivorId`. `_id` is "<mergedId>-><survivorId>" for the first attempt, so
 * asking twice is one merge; only after an attempt was REFUSED may a new request open the next one, "...#2" and so
 * on. At most one attempt of a pair is ever committed (the others were refused before changing anything), and its
 * `_id` is the merge id the points, purchases and line services key their idempotent moves by.
 * Written before anything else and never deleted. Its state is derived from write-once fields (committedAt,
 * refusedAt, the step times, completedAt) rather than kept in one field, because concurrent runners of the same
 * merge then never overwrite each other's progress with an older state.
 */
export interface MemberMergeDoc {
  _id: string;
  attempt: number;
  survivorId: Types.ObjectId;
  mergedId: Types.ObjectId;
  /** Who asked, as the points ledger names actors ("staff:<id>"). */
  requestedBy: string;
  requestedAt: Date;
  committedAt: Date | null;
  refusedAt: Date | null;
  refusal: MergeRefusal | null;
  steps: Partial<Record<MergeStep, Date>>;
  pointsMoved: number | null;
  purchasesMoved: number | null;
  completedAt: Date | null;
  /** What the last failed step said, for operators (not shown to API callers). */
  lastError: string | null;
}

/**
 * A member taking part in an unfinished merge: `_id` is the member id, so a member is in at most one unfinished
 * merge at a time, whichever side. Taken (inserted) before the merge decides to go ahead, released (deleted) only
 * once it is completed or refused, never while it is undecided, so runners of one merge cannot release a claim
 * another runner of it relies on.
 */
export interface MergeClaimDoc {
  _id: string;
  mergeId: string;
  createdAt: Date;
}

/**
 * The one decision on a merge: go ahead, or refuse. An insert under `_id` = merge id, because two runners of the
 * same merge (the request and the outbox worker) may judge at different moments; the first insert wins and the
 * other follows it.
 */
export interface MergeOutcomeDoc {
  _id: string;
  outcome: 'COMMIT' | 'REFUSE';
  refusal: MergeRefusal | null;
  decidedAt: Date;
}

const refusalSchema = new Schema<MergeRefusal>(
  { message: { type: String, required: true }, field: { type: String, required: true } },
  { _id: false },
);

const stepsSchema = new Schema<Partial<Record<MergeStep, Date>>>(
  { MEMBER_STATUS: Date, PROFILE: Date, POINTS: Date, PURCHASES: Date, LINE: Date },
  { _id: false },
);

const memberMergeSchema = new Schema<MemberMergeDoc>(
  {
    _id: { type: String, required: true },
    attempt: { type: Number, required: true },
    survivorId: { type: Schema.Types.ObjectId, required: true },
    mergedId: { type: Schema.Types.ObjectId, required: true },
    requestedBy: { type: String, required: true },
    requestedAt: { type: Date, required: true },
    committedAt: { type: Date, default: null },
    refusedAt: { type: Date, default: null },
    refusal: { type: refusalSchema, default: null },
    steps: { type: stepsSchema, default: () => ({}) },
    pointsMoved: { type: Number, default: null },
    purchasesMoved: { type: Number, default: null },
    completedAt: { type: Date, default: null },
    lastError: { type: String, default: null },
  },
  { versionKey: false, minimize: false },
);
memberMergeSchema.index({ survivorId: 1, requestedAt: 1 });
memberMergeSchema.index({ mergedId: 1, survivorId: 1, attempt: -1 });

const mergeClaimSchema = new Schema<MergeClaimDoc>(
  {
    _id: { type: String, required: true },
    mergeId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

const mergeOutcomeSchema = new Schema<MergeOutcomeDoc>(
  {
    _id: { type: String, required: true },
    outcome: { type: String, required: true, enum: ['COMMIT', 'REFUSE'] },
    refusal: { type: refusalSchema, default: null },
    decidedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export interface MemberMergeModels {
  merges: Model<MemberMergeDoc>;
  claims: Model<MergeClaimDoc>;
  outcomes: Model<MergeOutcomeDoc>;
}

export function memberMergeModels(connection: Connection): MemberMergeModels {
  return {
    merges: connection.model<MemberMergeDoc>('MemberMerge', memberMergeSchema, 'member_merges'),
    claims: connection.model<MergeClaimDoc>('MemberMergeClaim', mergeClaimSchema, 'member_merge_claims'),
    outcomes: connection.model<MergeOutcomeDoc>('MemberMergeOutcome', mergeOutcomeSchema, 'member_merge_outcomes'),
  };
}
