import { Schema, type Connection, type Model } from 'mongoose';

/**
 * What a member merge did with the LINE links: MOVED the merged member's link to the survivor, KEPT_SURVIVOR's own
 * link and unlinked the merged member's (kept here for staff), or NONE when the merged member had no link.
 */
export type LinkMergeOutcome = 'MOVED' | 'KEPT_SURVIVOR' | 'NONE';

/**
 * One merge's decision on the links, `_id` = the members service's merge id. Inserted before any link changes, so
 * the first runner's decision is the one every retry of the merge carries out (an insert is atomic on FerretDB, a
 * conditional update is not). Never deleted: for KEPT_SURVIVOR it is the record of the LINE account that was
 * unlinked, shown to staff on the survivor.
 */
export interface LineLinkMergeDoc {
  _id: string;
  fromMemberId: string;
  toMemberId: string;
  outcome: LinkMergeOutcome;
  /** The merged member's LINE user, its profile name and when it was linked; null for NONE. */
  lineUserId: string | null;
  displayName: string | null;
  linkedAt: Date | null;
  decidedAt: Date;
}

const lineLinkMergeSchema = new Schema<LineLinkMergeDoc>(
  {
    _id: { type: String, required: true },
    fromMemberId: { type: String, required: true },
    toMemberId: { type: String, required: true },
    outcome: { type: String, required: true, enum: ['MOVED', 'KEPT_SURVIVOR', 'NONE'] },
    lineUserId: { type: String, default: null },
    displayName: { type: String, default: null },
    linkedAt: { type: Date, default: null },
    decidedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
lineLinkMergeSchema.index({ toMemberId: 1 });

export type LineLinkMergeModel = Model<LineLinkMergeDoc>;

export function lineLinkMergeModel(connection: Connection): LineLinkMergeModel {
  return connection.model<LineLinkMergeDoc>('LineLinkMerge', lineLinkMergeSchema, 'line_link_merges');
}
