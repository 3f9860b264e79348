import { z } from 'zod';
import { purchasesContract } from '@omo/lib/contracts/purchases';
import { RetryLater, type OutboxHandler } from '@omo/lib/outbox/outbox';
import { internalClient, type ServiceDirectory } from '@omo/lib/server/internal-api';
import type { MembersModels } from '../models';
import type { MemberDoc } from '../models/member.model';

const payloadSchema = z.object({
  memberId: z.string(),
  lastName: z.string().nullable().default(null),
  firstName: z.string().nullable().default(null),
  fromSmaregiContractId: z.string().nullable().default(null),
});

/** What purchases' smaregiMember takes as a name (Smaregi's limit). */
const MAX_NAME = 85;

/**
 * The members outbox handler of `smaregi-member` items (queued by sign-up.service.ts before the member): asks the
 * Smaregi connector (purchases' smaregiMember, idempotent by contract + member) for the member's customer records,
 * retried until purchases answers. A member not stored yet is waited for as the sign-up bonus waits; one no longer
 * active by the time the item runs gets no customer record.
 */
export function smaregiMemberHandler(deps: {
  models: MembersModels;
  services: ServiceDirectory;
  internalSecret: string;
  clock: () => Date;
  abandonedAfterMs: number;
}): OutboxHandler {
  const purchases = internalClient(purchasesContract, { directory: deps.services, internalSecret: deps.internalSecret, service: 'members' });
  return async (raw, item) => {
    const payload = payloadSchema.parse(raw);
    const member = await deps.models.members.findById(payload.memberId).lean<MemberDoc>().exec();
    if (!member) {
      if (deps.clock().getTime() - item.createdAt.getTime() < deps.abandonedAfterMs) throw new RetryLater('member not stored yet');
      return { dropped: 'the registration did not complete' };
    }
    if (member.status !== 'ACTIVE') return { dropped: `the member is ${member.status}` };
    // without a family name the display name stands for the whole name, as the contract says
    const family = payload.lastName?.trim();
    const given = family ? payload.firstName?.trim() || null : null;
    return purchases.smaregiMember({
      memberId: member._id.toHexString(),
      memberCode: member.memberCode,
      lastName: (family || member.displayName).slice(0, MAX_NAME),
      firstName: given?.slice(0, MAX_NAME) ?? null,
      phone: member.phone ?? null,
      email: member.email ?? null,
      birthday: member.birthday ?? null,
      fromSmaregiContractId: payload.fromSmaregiContractId,
    });
  };
}
