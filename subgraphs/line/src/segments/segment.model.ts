import { Schema, type Connection, type Model } from 'mongoose';
import type { SegmentNode } from './segment-definition';

/** What a segment is at one revision: the snapshot in `segments` and every audit row in `segment_revisions`. */
export interface SegmentState {
  name: string;
  description: string | null;
  definition: SegmentNode;
  revision: number;
  createdAt: Date;
  createdBy: string;
  updatedAt: Date;
  updatedBy: string;
  deletedAt: Date | null;
  deletedBy: string | null;
}

/**
 * A saved segment as of its latest revision. A copy of the newest row of segment_revisions, written after it: after
 * a crash between the two it may trail, so readers top it up from the revisions, which are the truth.
 */
export interface SegmentDoc extends SegmentState {
  _id: string;
}

export type SegmentAction = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * One change to a segment, with who made it and the whole state after it. `_id` is "<segmentId>:<revision>": taking
 * the next revision is a unique insert, so of two concurrent edits of the same revision one wins and the other
 * re-reads and tries again; nothing is lost or overwritten unseen, which a conditional update cannot promise here.
 */
export interface SegmentRevisionDoc extends SegmentState {
  _id: string;
  segmentId: string;
  action: SegmentAction;
}

const stateFields = {
  name: { type: String, required: true },
  description: { type: String, default: null },
  definition: { type: Schema.Types.Mixed, required: true },
  revision: { type: Number, required: true },
  createdAt: { type: Date, required: true },
  createdBy: { type: String, required: true },
  updatedAt: { type: Date, required: true },
  updatedBy: { type: String, required: true },
  deletedAt: { type: Date, default: null },
  deletedBy: { type: String, default: null },
};

const segmentSchema = new Schema<SegmentDoc>({ _id: { type: String, required: true }, ...stateFields }, { versionKey: false, minimize: false });

const segmentRevisionSchema = new Schema<SegmentRevisionDoc>(
  {
    _id: { type: String, required: true },
    segmentId: { type: String, required: true },
    action: { type: String, required: true, enum: ['CREATE', 'UPDATE', 'DELETE'] },
    ...stateFields,
  },
  { versionKey: false, minimize: false },
);
segmentRevisionSchema.index({ segmentId: 1, revision: -1 });

export type SegmentModel = Model<SegmentDoc>;
export type SegmentRevisionModel = Model<SegmentRevisionDoc>;

export function segmentModels(connection: Connection): { segments: SegmentModel; revisions: SegmentRevisionModel } {
  return {
    segments: connection.model<SegmentDoc>('Segment', segmentSchema, 'segments'),
    revisions: connection.model<SegmentRevisionDoc>('SegmentRevision', segmentRevisionSchema, 'segment_revisions'),
  };
}
