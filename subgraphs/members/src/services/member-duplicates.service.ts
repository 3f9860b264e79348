import type { Types } from 'mongoose';
import { z } from 'zod';
import { requireAdmin, requireStaff, type Caller } from '@omo/lib/core/auth';
import { insertOnce } from '@omo/lib/core/claims';
import { NotFoundError } from '@omo/lib/core/errors';
import type { MembersModels } from '../models';
import { memberDuplicateKey, type DuplicateContactKind, type MemberDuplicateDoc } from '../models/member-duplicate.model';
import type { MemberDoc } from '../models/member.model';
import { parseField } from './member-input';
import type { MemberLookup } from './member-lookup.service';

/** OPEN: for staff to decide; MERGED: the two are one member now; DISMISSED by staff; WITHDRAWN: one of them left. */
export type DuplicateState = 'OPEN' | 'MERGED' | 'DISMISSED' | 'WITHDRAWN';

/** A flag as staff see it (the MemberDuplicate type). */
export interface DuplicateView {
  doc: MemberDuplicateDoc;
  state: DuplicateState;
  member: MemberDoc;
  duplicateOf: MemberDoc;
}

/** Flags looked at per listing: a state is read from the members, so flags no longer open are skipped on read. */
const SCAN_LIMIT = 500;
const firstSchema = z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100');

/**
 * Likely duplicates for the staff merge flow (`member_duplicates`): a member made without a contact another member
 * holds is flagged with that member, never merged with it. A flag's state is read from the two members (merged
 * into one: MERGED; either withdrawn: WITHDRAWN) or its dismissal, so a merge resolves it whichever way and however
 * it ends, with nothing to keep in step. A flag written before its member was stored (see
 * register-customer.service.ts) is not shown until the member is.
 */
export class MemberDuplicates {
  constructor(
    private readonly models: MembersModels,
    private readonly lookup: MemberLookup,
    private readonly clock: () => Date,
  ) {}

  /** Flags the pair once; a further matching contact of the same pair is added to it. */
  async flag(memberId: Types.ObjectId, duplicateOfId: Types.ObjectId, contact: { kind: DuplicateContactKind; value: string }, source: string): Promise<void> {
    const _id = memberDuplicateKey(memberId, duplicateOfId);
    const doc: MemberDuplicateDoc = { _id, memberId, duplicateOfId, contacts: [contact], source, flaggedAt: this.clock(), dismissedAt: null, dismissedBy: null };
    if (await insertOnce(this.models.duplicates, doc)) return;
    await this.models.duplicates.updateOne({ _id, 'contacts.kind': { $ne: contact.kind } }, { $push: { contacts: contact } });
  }

  /** Staff's list, newest first. */
  async list(caller: Caller, state: DuplicateState, first: number): Promise<DuplicateView[]> {
    requireStaff(caller);
    const limit = parseField(firstSchema, first, 'first');
    const flags = await this.models.duplicates
      .find(state === 'DISMISSED' ? { dismissedAt: { $ne: null } } : { dismissedAt: null })
      .sort({ flaggedAt: -1, _id: 1 })
      .limit(SCAN_LIMIT)
      .lean<MemberDuplicateDoc[]>()
      .exec();
    // the flags' members in one query; following a merge chain is the rare case, one look-up a hop
    const ids = [...new Set(flags.flatMap((flag) => [flag.memberId.toHexString(), flag.duplicateOfId.toHexString()]))];
    const members = new Map(
      (await this.models.members.find({ _id: { $in: ids } }).lean<MemberDoc[]>().exec()).map((member) => [member._id.toHexString(), member]),
    );
    const views: DuplicateView[] = [];
    for (const flag of flags) {
      if (views.length >= limit) break;
      const view = await this.view(flag, members);
      if (view?.state === state) views.push(view);
    }
    return views;
  }

  /**
   * An admin decided the two are different people: the flag leaves the open list (dismissing twice changes nothing).
   * Admin only, as merging is: staff see the flags, the decision either way is an admin's.
   */
  async dismiss(caller: Caller, id: string): Promise<DuplicateView> {
    const staff = requireAdmin(caller);
    const flag = await this.models.duplicates.findById(id).lean<MemberDuplicateDoc>().exec();
    if (!flag) throw new NotFoundError('Member duplicate');
    if (!flag.dismissedAt) {
      await this.models.duplicates.updateOne({ _id: id, dismissedAt: null }, { $set: { dismissedAt: this.clock(), dismissedBy: `staff:${staff.staffId}` } });
    }
    const view = await this.view((await this.models.duplicates.findById(id).lean<MemberDuplicateDoc>().exec()) ?? flag);
    if (!view) throw new NotFoundError('Member duplicate');
    return view;
  }

  private async view(doc: MemberDuplicateDoc, known?: Map<string, MemberDoc>): Promise<DuplicateView | null> {
    const load = (id: Types.ObjectId) => known?.get(id.toHexString()) ?? this.models.members.findById(id).lean<MemberDoc>().exec();
    const [member, duplicateOf] = await Promise.all([load(doc.memberId), load(doc.duplicateOfId)]);
    if (!member || !duplicateOf) return null;
    return { doc, state: await this.stateOf(doc, member, duplicateOf), member, duplicateOf };
  }

  private async stateOf(doc: MemberDuplicateDoc, member: MemberDoc, duplicateOf: MemberDoc): Promise<DuplicateState> {
    if (doc.dismissedAt) return 'DISMISSED';
    const [a, b] = await Promise.all([this.lookup.currentMember(member), this.lookup.currentMember(duplicateOf)]);
    if (a && b && a._id.equals(b._id)) return 'MERGED';
    if (a?.status === 'WITHDRAWN' || b?.status === 'WITHDRAWN') return 'WITHDRAWN';
    return 'OPEN';
  }
}
