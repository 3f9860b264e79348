import type { Types } from 'mongoose';
import type { Outbox } from '@omo/lib/outbox/outbox';
import type { MembersModels } from '../models';
import { SMAREGI_MEMBER_OUTBOX_TYPE } from './sign-up.service';

const PAGE = 500;

/**
 * Members who existed before a Smaregi contract was configured (go-live), or before another contract was added,
 * have no smaregi-member item, or one done before that contract existed: every ACTIVE member's item is queued, or
 * given a new attempt, a page at a time by id, so each contract with createCustomers gets their customer record.
 * Safe to run twice or while members register: purchases' smaregiMember is idempotent by contract + member (a
 * linked member is skipped, a record made by hand is found by its customerCode), and an item keeps the payload it
 * was first queued with (a register-made member's contract stays named). Answers how many members were queued.
 */
export async function queueSmaregiMembers(models: MembersModels, outbox: Outbox, onPage?: (queued: number) => void): Promise<number> {
  let after: Types.ObjectId | null = null;
  let queued = 0;
  for (;;) {
    const page: { _id: Types.ObjectId }[] = await models.members
      .find({ status: 'ACTIVE', ...(after ? { _id: { $gt: after } } : {}) }, { _id: 1 })
      .sort({ _id: 1 })
      .limit(PAGE)
      .lean<{ _id: Types.ObjectId }[]>()
      .exec();
    for (const { _id } of page) {
      const memberId = _id.toHexString();
      await outbox.rearm(`${SMAREGI_MEMBER_OUTBOX_TYPE}:${memberId}`, SMAREGI_MEMBER_OUTBOX_TYPE, { memberId, lastName: null, firstName: null, fromSmaregiContractId: null });
    }
    queued += page.length;
    onPage?.(queued);
    if (page.length < PAGE) return queued;
    after = page[page.length - 1]!._id;
  }
}
